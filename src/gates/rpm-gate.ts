/**
 * Requests-per-minute gate: every request costs 1 from a paced bucket (see `paced-bucket.ts` for
 * the model, which mirrors the simulator's server-side enforcement).
 */
import { BucketGate } from "./bucket-gate.js";
import type { Admission, GateOptions } from "./gate-options.js";
import { PacedBucket } from "./paced-bucket.js";

export type { Admission, GateOptions } from "./gate-options.js";

export class RpmGate extends BucketGate {
  constructor(options: GateOptions = {}) {
    super(new PacedBucket(options, "RPM"), (info) => [info.remainingRequests, info.limitRequests]);
  }

  /**
   * Resolves when one request may be sent, in arrival order. Rejects with the signal's reason
   * (or an `AbortError` DOMException) if `signal` aborts first; the waiter then leaves the queue.
   */
  acquire(signal?: AbortSignal): Promise<Admission> {
    return this.bucket.acquire(1, signal);
  }
}
