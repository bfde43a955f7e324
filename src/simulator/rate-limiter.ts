/**
 * OpenAI-style RPM and TPM enforcement: one pair of token buckets per model (OpenAI's
 * limits are per organisation, project and model), and the six `x-ratelimit-*` headers.
 */
import { formatGoDuration } from "./go-duration.js";
import { TokenBucket } from "./token-bucket.js";

/** Reported when a limit is not set, so the headers are present on every response. */
const UNLIMITED_REQUESTS = 1_000_000;
const UNLIMITED_TOKENS = 100_000_000;

export interface RateLimitOptions {
  rpm?: number;
  tpm?: number;
  burstSeconds: number;
}

export type Admission =
  | { admitted: true }
  | { admitted: false; reason: "too_large"; limit: number; requested: number }
  | { admitted: false; reason: "requests" | "tokens"; limit: number; used: number; requested: number; waitMs: number };

interface BucketPair {
  requests?: TokenBucket;
  tokens?: TokenBucket;
}

export class RateLimiter {
  readonly #options: RateLimitOptions;
  readonly #models = new Map<string, BucketPair>();

  constructor(options: RateLimitOptions) {
    this.#options = options;
  }

  #pair(model: string): BucketPair {
    let pair = this.#models.get(model);
    if (!pair) {
      const { rpm, tpm, burstSeconds } = this.#options;
      pair = {
        requests: rpm !== undefined ? new TokenBucket(rpm, burstSeconds) : undefined,
        tokens: tpm !== undefined ? new TokenBucket(tpm, burstSeconds) : undefined,
      };
      this.#models.set(model, pair);
    }
    return pair;
  }

  /**
   * Admits and charges one request costing `tokenCost` tokens, or says why not.
   * Nothing is charged on refusal: a rejected request costs no quota.
   */
  admit(model: string, tokenCost: number): Admission {
    const { requests, tokens } = this.#pair(model);
    if (tokens && tokenCost > tokens.limit) {
      return { admitted: false, reason: "too_large", limit: tokens.limit, requested: tokenCost };
    }
    if (requests && !requests.canTake(1)) {
      return this.#refusal("requests", requests, 1);
    }
    if (tokens && !tokens.canTake(tokenCost)) {
      return this.#refusal("tokens", tokens, tokenCost);
    }
    requests?.take(1);
    tokens?.take(tokenCost);
    return { admitted: true };
  }

  /**
   * Settles an admitted request's token reservation on what it actually used: the unused part
   * (`reserved - used`) goes back into the bucket. TPM is thus "reserve at admission, settle on
   * actual usage", the same semantics the client's `TpmGate.reconcile` assumes.
   */
  settle(model: string, reserved: number, used: number): void {
    this.#pair(model).tokens?.credit(reserved - used);
  }

  #refusal(reason: "requests" | "tokens", bucket: TokenBucket, requested: number): Admission {
    return {
      admitted: false,
      reason,
      limit: bucket.limit,
      used: bucket.limit - bucket.remaining(),
      requested,
      waitMs: bucket.waitMs(requested),
    };
  }

  /** The six headers as they stand now (after any charge); `model` undefined = untouched budget. */
  headers(model: string | undefined): Record<string, string> {
    const pair = model !== undefined ? this.#pair(model) : {};
    const { rpm, tpm } = this.#options;
    return {
      ...bucketHeaders("requests", pair.requests, rpm ?? UNLIMITED_REQUESTS),
      ...bucketHeaders("tokens", pair.tokens, tpm ?? UNLIMITED_TOKENS),
    };
  }
}

function bucketHeaders(kind: "requests" | "tokens", bucket: TokenBucket | undefined, limit: number): Record<string, string> {
  return {
    [`x-ratelimit-limit-${kind}`]: String(limit),
    [`x-ratelimit-remaining-${kind}`]: String(bucket ? bucket.remaining() : limit),
    [`x-ratelimit-reset-${kind}`]: formatGoDuration(bucket ? bucket.resetMs() : 0),
  };
}
