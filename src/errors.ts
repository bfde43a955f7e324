import type { ErrorType, RateLimitInfo, ResultError, Usage } from "./types.js";

/** The fixed policy of each error type: is it worth another attempt, does it stop the run. */
export interface ErrorPolicy {
  retriable: boolean;
  /** Stops admission of new records: the rest of the batch is left not attempted. */
  fatal: boolean;
}

export const ERROR_POLICY: Readonly<Record<ErrorType, ErrorPolicy>> = {
  rate_limit: { retriable: true, fatal: false },
  insufficient_quota: { retriable: false, fatal: true },
  auth: { retriable: false, fatal: true },
  permission: { retriable: false, fatal: true },
  bad_request: { retriable: false, fatal: false },
  context_length: { retriable: false, fatal: false },
  model_not_found: { retriable: false, fatal: true },
  timeout: { retriable: true, fatal: false },
  network: { retriable: true, fatal: false },
  server: { retriable: true, fatal: false },
  overloaded: { retriable: true, fatal: false },
  invalid_response: { retriable: true, fatal: false },
  content_filter: { retriable: false, fatal: false },
  invalid_input: { retriable: false, fatal: false },
  budget_exceeded: { retriable: false, fatal: false },
  not_attempted: { retriable: false, fatal: false },
  cancelled: { retriable: false, fatal: false },
  pipeline_step: { retriable: false, fatal: false },
  unknown: { retriable: false, fatal: false },
};

export interface ProviderErrorInit {
  type: ErrorType;
  message: string;
  status?: number;
  code?: string;
  /** Overrides the type's default policy (e.g. a 429 "Request too large" can never succeed). */
  retriable?: boolean;
  retryAfterMs?: number;
  rateLimits?: RateLimitInfo;
  /** Tokens the provider billed for a response it still counts as failed (a content filter stop). */
  usage?: Usage;
  cause?: unknown;
}

/** The one error a provider throws: already classified, message already free of secrets. */
export class ProviderError extends Error {
  readonly type: ErrorType;
  readonly status?: number;
  readonly code?: string;
  readonly retriable: boolean;
  readonly retryAfterMs?: number;
  readonly rateLimits?: RateLimitInfo;
  readonly usage?: Usage;

  constructor(init: ProviderErrorInit) {
    super(redactSecrets(init.message), { cause: init.cause });
    this.name = "ProviderError";
    this.type = init.type;
    this.status = init.status;
    this.code = init.code;
    this.retriable = init.retriable ?? ERROR_POLICY[init.type].retriable;
    this.retryAfterMs = init.retryAfterMs;
    this.rateLimits = init.rateLimits;
    this.usage = init.usage;
  }

  get fatal(): boolean {
    return ERROR_POLICY[this.type].fatal;
  }

  toResultError(): ResultError {
    const e: ResultError = { type: this.type, message: this.message, retriable: this.retriable };
    if (this.status !== undefined) e.status = this.status;
    if (this.code !== undefined) e.code = this.code;
    return e;
  }
}

/** Builds a ResultError for kinds that do not come from a provider. */
export function resultError(type: ErrorType, message: string, extra: Partial<ResultError> = {}): ResultError {
  return { type, message: redactSecrets(message), retriable: ERROR_POLICY[type].retriable, ...extra };
}

const SECRET_PATTERNS: RegExp[] = [/\bsk-[A-Za-z0-9_\-*]{3,}/g, /(authorization\s*[:=]\s*)(bearer\s+)?[^\s,"']+/gi, /(bearer\s+)[A-Za-z0-9._\-~+/]+=*/gi];

/** Removes API keys (`sk-…`, bearer tokens) from text that may reach output, logs or summaries. */
export function redactSecrets(text: string): string {
  let out = text;
  out = out.replace(SECRET_PATTERNS[0]!, "sk-***");
  out = out.replace(SECRET_PATTERNS[1]!, (_m, p1: string, p2?: string) => `${p1}${p2 ?? ""}***`);
  out = out.replace(SECRET_PATTERNS[2]!, (_m, p1: string) => `${p1}***`);
  return out;
}

/** A run-level problem (bad config, bad flag, unreadable file): exit code 2, nothing sent. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}
