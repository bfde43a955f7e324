/**
 * Requests-per-minute gate: every request costs 1 from a paced bucket (see `paced-bucket.ts` for
 * the model, which mirrors the simulator's server-side enforcement).
 */
import type { RateLimitInfo } from "../types.js";
import type { Admission, GateOptions } from "./gate-options.js";
import { PacedBucket } from "./paced-bucket.js";

export type { Admission, GateOptions } from "./gate-options.js";

export class RpmGate {
  readonly #bucket: PacedBucket;

  constructor(options: GateOptions = {}) {
    this.#bucket = new PacedBucket(options, "RPM");
  }

  /**
   * Resolves when one request may be sent, in arrival order. Rejects with the signal's reason
   * (or an `AbortError` DOMException) if `signal` aborts first; the waiter then leaves the queue.
   */
  acquire(signal?: AbortSignal): Promise<Admission> {
    return this.#bucket.acquire(1, signal);
  }

  /** A 429 with a wait hint: nobody is admitted until now + ms (an existing longer pause stays). */
  pauseFor(ms: number): void {
    this.#bucket.pauseFor(ms);
  }

  /** Changes the RPM limit at runtime; undefined makes the gate unlimited. */
  setLimit(limit?: number): void {
    this.#bucket.setLimit(limit);
  }

  /**
   * Reads `limitRequests` (kept as `learnedLimit`, not applied) and `remainingRequests`, which can
   * only lower the bucket's level to the server's, never raise it; nothing happens without a
   * configured limit or without both headers. See `PacedBucket.observeRemaining` for the exact
   * rule. Retry hints are not read here: the engine calls `pauseFor` on a 429.
   */
  observe(info: RateLimitInfo): void {
    this.#bucket.observeRemaining(info.remainingRequests, info.limitRequests);
  }

  get limit(): number | undefined {
    return this.#bucket.limit;
  }

  get learnedLimit(): number | undefined {
    return this.#bucket.learnedLimit;
  }

  /** Requests the bucket could admit right now (negative = debt); Infinity when unlimited. */
  get available(): number {
    return this.#bucket.available;
  }

  get waiting(): number {
    return this.#bucket.waiting;
  }
}
