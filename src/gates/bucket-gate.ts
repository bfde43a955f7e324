/**
 * What `RpmGate` and `TpmGate` share over their `PacedBucket`: pauses on a 429, runtime limits,
 * limits and levels read from the server's headers, and the gauges the live metrics show. Each
 * subclass says only what a request costs and which headers are its own.
 */
import type { RateLimitInfo } from "../types.js";
import type { PacedBucket } from "./paced-bucket.js";

export abstract class BucketGate {
  protected readonly bucket: PacedBucket;
  /** The `x-ratelimit-*` pair this gate follows: `[remaining, limit]`. */
  readonly #headers: (info: RateLimitInfo) => [number | undefined, number | undefined];

  protected constructor(bucket: PacedBucket, headers: (info: RateLimitInfo) => [number | undefined, number | undefined]) {
    this.bucket = bucket;
    this.#headers = headers;
  }

  /** A 429 with a wait hint: nobody is admitted until now + ms (an existing longer pause stays). */
  pauseFor(ms: number): void {
    this.bucket.pauseFor(ms);
  }

  /** Changes the per-minute limit at runtime; undefined makes the gate unlimited. */
  setLimit(limit?: number): void {
    this.bucket.setLimit(limit);
  }

  /**
   * Reads the server's reported limit (kept as `learnedLimit`, applied only with `learnLimits`)
   * and remaining amount, which can only lower the bucket's level to the server's, never raise
   * it; nothing happens without a configured limit or without both headers. See
   * `PacedBucket.observeRemaining` for the exact rule. Retry hints are not read here: the engine
   * calls `pauseFor` on a 429.
   */
  observe(info: RateLimitInfo): void {
    const [remaining, limit] = this.#headers(info);
    this.bucket.observeRemaining(remaining, limit);
  }

  /** The server's level these headers report, in this bucket's terms (see `PacedBucket.serverLevel`). */
  serverLevel(info: RateLimitInfo): number | undefined {
    const [remaining, limit] = this.#headers(info);
    return this.bucket.serverLevel(remaining, limit);
  }

  /** Units refilled per millisecond at the limit in force (0 when unlimited). */
  get ratePerMs(): number {
    return this.bucket.ratePerMs;
  }

  /**
   * Milliseconds until `cost` fits, ignoring this gate's own queue (0 = now, a pause counts).
   * With `charge`, what a quota store uses to take from an RPM and a TPM gate atomically.
   */
  msUntilAdmissible(cost: number): number {
    return this.bucket.msUntilAdmissible(cost);
  }

  /** Takes `cost` now (after `msUntilAdmissible` said 0), or gives back a negative one. */
  charge(cost: number): void {
    if (cost >= 0) this.bucket.debit(cost);
    else this.bucket.credit(-cost);
  }

  /** Why `cost` can never be admitted (above the whole limit), or undefined. */
  refusal(cost: number): Error | undefined {
    return this.bucket.refusal(cost);
  }

  /** Largest level the bucket holds; Infinity when unlimited. */
  get capacity(): number {
    return this.bucket.capacity;
  }

  get limit(): number | undefined {
    return this.bucket.limit;
  }

  get learnedLimit(): number | undefined {
    return this.bucket.learnedLimit;
  }

  /** What the bucket could admit right now (negative = debt); Infinity when unlimited. */
  get available(): number {
    return this.bucket.available;
  }

  /** Requests queued at this gate. */
  get waiting(): number {
    return this.bucket.waiting;
  }
}
