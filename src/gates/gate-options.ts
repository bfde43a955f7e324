/** Options and results shared by `RpmGate` and `TpmGate`. */
import type { Clock } from "./clock.js";

export interface GateOptions {
  /**
   * Per-minute limit (requests for `RpmGate`, tokens for `TpmGate`). Undefined means unlimited:
   * `acquire` resolves at once unless the gate is paused.
   * @default undefined
   */
  limit?: number;
  /**
   * How many seconds' worth of the limit may go out in one burst; the bucket capacity is
   * `limit * burstSeconds / 60`. Keep it equal to the server's enforcement slice.
   * @default 1
   */
  burstSeconds?: number;
  /**
   * Time source; tests pass a `FakeClock`.
   * @default systemClock
   */
  clock?: Clock;
}

export interface Admission {
  /**
   * Time spent queued at this gate, in whole milliseconds: 0 when admitted at once, at least 1
   * when the request had to queue (so `waitedMs > 0` counts the waits).
   */
  waitedMs: number;
}
