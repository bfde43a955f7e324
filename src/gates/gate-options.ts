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
   * Milliseconds of refill held back from the burst: the bucket holds
   * `limit * (burstSeconds - marginMs / 1000) / 60`, which is that much less than the server's.
   * A request reaches the server a little after the gate admits it, and by a varying amount; while
   * it is in transit the server's bucket may sit full and waste refill that ours has counted. The
   * margin absorbs up to `marginMs` of such jitter, so pacing at exactly the server's limit never
   * meets a 429. The sustained rate is unchanged (still `limit` per minute); only the first burst
   * is smaller. Capped at half the burst. The engine's gates use `TRANSIT_MARGIN_MS`; a bare gate
   * defaults to none, an exact mirror of the server's bucket.
   * @default 0
   */
  marginMs?: number;
  /**
   * Adopt the limits a server reports (`x-ratelimit-limit-*`): with no `limit`, the gate starts
   * unlimited and takes the server's limit from the first response that carries one; with a
   * `limit`, the lower of the two applies. Off, the reported limit is only recorded.
   * @default false
   */
  learnLimits?: boolean;
  /**
   * Time source; tests pass a `FakeClock`.
   * @default systemClock
   */
  clock?: Clock;
}

/**
 * The margin the engine's gates keep (see `GateOptions.marginMs`). Steady jitter is small (under a
 * millisecond on loopback, tens over the internet), but the first burst is compressed: its first
 * requests wait for new connections while the next ones queue behind them, so requests admitted
 * ~50 ms apart reached the simulator within 6 ms (the demo's one stray 429). 100 ms of refill
 * costs 10% of the first one-second burst and nothing of the sustained rate.
 */
export const TRANSIT_MARGIN_MS = 100;

/**
 * How a run's gates are built, by the engine and by `BaseLLMService` alike: limits the server
 * reports are adopted (the lower bound wins), with the transit margin.
 */
export const RUN_GATE_OPTIONS = { learnLimits: true, marginMs: TRANSIT_MARGIN_MS } as const;

export interface Admission {
  /**
   * Time spent queued at this gate, in whole milliseconds: 0 when admitted at once, at least 1
   * when the request had to queue (so `waitedMs > 0` counts the waits).
   */
  waitedMs: number;
}
