/**
 * Core types shared by every module. The field names of `GenerationResult`, `BackoffStats`
 * and `Usage` are the public output contract (one JSON line per record): change them only on purpose.
 */

export type Role = "system" | "developer" | "user" | "assistant" | "tool";

export interface ChatMessage {
  role: Role;
  content: string;
}

/** Structured-output request, in OpenAI's shape; the Ollama provider maps it to `format`. */
export type ResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | { type: "json_schema"; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean } };

/** Generation parameters. Only the ones a provider understands are sent. */
export interface LlmParams {
  temperature?: number;
  /** Upper bound on output tokens (sent as `max_completion_tokens` to OpenAI, `num_predict` to Ollama). */
  max_tokens?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  response_format?: ResponseFormat;
}

export interface LlmRequest {
  model: string;
  messages: ChatMessage[];
  params: LlmParams;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  /** Subset of input_tokens served from the provider's prompt cache. */
  cached_tokens: number;
}

/** What the provider told us about its rate limits (OpenAI `x-ratelimit-*`, `retry-after(-ms)`). */
export interface RateLimitInfo {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  /** Time until the request budget is fully restored. */
  resetRequestsMs?: number;
  /** Time until the token budget is fully restored. */
  resetTokensMs?: number;
  /** Server's wait hint on a 429/503 (`retry-after-ms`, `retry-after`). */
  retryAfterMs?: number;
}

export interface LlmResponse {
  text: string;
  /** `stop` | `length` | `content_filter` | `tool_calls` | … as the provider reported it. */
  finishReason: string;
  usage: Usage;
  /** Model name the provider resolved (may be a dated snapshot of the alias sent). */
  model: string;
  /** Provider's id for the response or request (`chatcmpl-…`, `x-request-id`). */
  providerId?: string;
  rateLimits?: RateLimitInfo;
  /**
   * Time the request waited on the server before its work began, when the server says (Ollama's
   * `load_duration`, which includes the wait in its scheduler queue). Drives Ollama's adaptive
   * concurrency.
   */
  serverQueueMs?: number;
}

/**
 * Closed set of error kinds. Each has a fixed retry policy (see `errors.ts`).
 * Fatal kinds (`auth`, `insufficient_quota`, `model_not_found`) stop admitting new work.
 */
export const ERROR_TYPES = [
  "rate_limit",
  "insufficient_quota",
  "auth",
  "permission",
  "bad_request",
  "context_length",
  "model_not_found",
  "timeout",
  "network",
  "server",
  "overloaded",
  "invalid_response",
  "content_filter",
  "invalid_input",
  "budget_exceeded",
  "not_attempted",
  "cancelled",
  "pipeline_step",
  "unknown",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** The error part of a failed result, as written to the output. */
export interface ResultError {
  type: ErrorType;
  message: string;
  status?: number;
  retriable: boolean;
  /** Provider's error code (`rate_limit_exceeded`, `context_length_exceeded`, …) when it sent one. */
  code?: string;
  /** Input line number, for `invalid_input`. */
  line?: number;
}

/** Client-side waits (gates) kept apart from server-side delay (retries). */
export interface BackoffStats {
  rpm_waits: number;
  rpm_wait_ms: number;
  tpm_waits: number;
  tpm_wait_ms: number;
  retries: number;
  retry_wait_ms: number;
  /** Waits for `--max-cost` money held by requests in flight; present only when a budget is set. */
  budget_waits?: number;
  budget_wait_ms?: number;
}

export interface StepResult {
  id: string;
  /** False when the step failed, even when `on_error: skip` let the record carry on. */
  ok: boolean;
  /** The step did not run (`when` was false, or its `from` steps had no output), or failed with `on_error: skip`. */
  skipped?: boolean;
  output?: unknown;
  error?: ResultError;
  ms: number;
  model?: string;
  usage?: Usage;
  cost_usd?: number | null;
  attempts?: number;
  /** Re-asks after a reply that was not valid JSON or did not match the step's schema. */
  repairs?: number;
}

/** The value every input record ends as. Never thrown. */
export interface GenerationResult {
  id: string;
  ok: boolean;
  output?: unknown;
  error?: ResultError;
  model?: string;
  provider?: string;
  usage: Usage;
  /** null when a model used has no price (see the summary's `unpriced_models`). */
  cost_usd: number | null;
  attempts: number;
  backoff: BackoffStats;
  latency_ms: number;
  steps: StepResult[];
  finish_reason?: string;
  /** The input record's fields, with `--include-input`. */
  input?: Record<string, unknown>;
}

/** One input record, after parsing. */
export interface InputRecord {
  /** The record's own id as written, or "" when it has none: the id registry (io/dedupe.ts) then gives it its content id. */
  id: string;
  /** 1-based line (JSONL) or row line (CSV) where the record starts. */
  line: number;
  prompt?: string;
  messages?: ChatMessage[];
  /** Every field of the record (template variables). */
  vars: Record<string, unknown>;
  /** Request overrides from an OpenAI Batch API line (`body.model`, `body.temperature`, …). */
  model?: string;
  params?: LlmParams;
}

/** A line the reader could not turn into a record; it still produces one output line. */
export interface InvalidRecord {
  id: string;
  line: number;
  message: string;
}

export type ReadItem = { kind: "record"; record: InputRecord } | { kind: "invalid"; invalid: InvalidRecord };

export type ProviderName = "openai" | "ollama";

export interface ProviderCallOptions {
  signal: AbortSignal;
  timeoutMs: number;
}

/**
 * One LLM backend. Makes exactly one HTTP attempt per call (no retries of its own) and throws
 * `ProviderError` with a classified `ErrorType` on failure.
 */
export interface Provider {
  readonly name: ProviderName;
  generate(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse>;
  close?(): Promise<void>;
}

export function emptyUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cached_tokens: 0 };
}

export function emptyBackoff(): BackoffStats {
  return { rpm_waits: 0, rpm_wait_ms: 0, tpm_waits: 0, tpm_wait_ms: 0, retries: 0, retry_wait_ms: 0 };
}

/** The result of a record that failed before any step ran (unreadable, not attempted, an internal error). */
export function failedResult(id: string, error: ResultError): GenerationResult {
  return { id, ok: false, error, usage: emptyUsage(), cost_usd: 0, attempts: 0, backoff: emptyBackoff(), latency_ms: 0, steps: [] };
}

export function addUsage(into: Usage, u: Usage): void {
  into.input_tokens += u.input_tokens;
  into.output_tokens += u.output_tokens;
  into.cached_tokens += u.cached_tokens;
}

export function addBackoff(into: BackoffStats, b: BackoffStats): void {
  into.rpm_waits += b.rpm_waits;
  into.rpm_wait_ms += b.rpm_wait_ms;
  into.tpm_waits += b.tpm_waits;
  into.tpm_wait_ms += b.tpm_wait_ms;
  into.retries += b.retries;
  into.retry_wait_ms += b.retry_wait_ms;
  if (b.budget_waits !== undefined) into.budget_waits = (into.budget_waits ?? 0) + b.budget_waits;
  if (b.budget_wait_ms !== undefined) into.budget_wait_ms = (into.budget_wait_ms ?? 0) + b.budget_wait_ms;
}
