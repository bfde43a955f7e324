/**
 * Time source for gates and metrics. Everything that waits or measures goes through a `Clock`
 * so that tests drive time explicitly (`FakeClock`) instead of sleeping or asserting on
 * wall-clock thresholds.
 */

export interface Clock {
  /** Monotonic milliseconds (not wall time: only differences are meaningful). */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `clearTimer`. */
  setTimer(fn: () => void, ms: number): unknown;
  clearTimer(handle: unknown): void;
}

/** Node's setTimeout refuses longer delays (it fires after 1 ms instead). */
const MAX_TIMER_MS = 2_147_483_647;

/**
 * The real clock: `performance.now()` (monotonic, so NTP adjustments cannot release a gate early
 * or stall it) and ordinary timers. Timers stay ref'd on purpose: a request waiting at a gate is
 * pending work and must keep the process alive until it is admitted or aborted.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer: (fn, ms) => setTimeout(fn, Math.min(Math.max(0, ms), MAX_TIMER_MS)),
  clearTimer: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface FakeTimer {
  due: number;
  /** Creation order: timers due at the same instant fire in the order they were set. */
  seq: number;
  fn: () => void;
}

/**
 * A manually advanced clock for unit tests. `advance(ms)` moves time forward and fires every timer
 * that falls due, in due order, with `now()` set to each timer's due time while it runs (so code
 * that reads the clock inside a callback sees the instant it was scheduled for). Timers set by a
 * callback fire in the same `advance` if they fall due before its end.
 *
 * Promise continuations run only after `advance` returns; tests `await` between steps.
 */
export class FakeClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, FakeTimer>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimer(fn: () => void, ms: number): number {
    const id = ++this.#seq;
    this.#timers.set(id, { due: this.#now + Math.max(0, ms), seq: id, fn });
    return id;
  }

  clearTimer(handle: unknown): void {
    if (typeof handle === "number") this.#timers.delete(handle);
  }

  /** Number of timers set and not yet fired or cleared. */
  pending(): number {
    return this.#timers.size;
  }

  /** Moves time forward by `ms`, firing due timers in order. */
  advance(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`FakeClock.advance needs ms >= 0, got ${ms}`);
    const target = this.#now + ms;
    for (;;) {
      const next = this.#nextDue(target);
      if (next === undefined) break;
      this.#timers.delete(next[0]);
      this.#now = Math.max(this.#now, next[1].due);
      next[1].fn();
    }
    this.#now = target;
  }

  /** Linear scan: tests keep few timers (the gates keep at most one each). */
  #nextDue(limit: number): [number, FakeTimer] | undefined {
    let best: [number, FakeTimer] | undefined;
    for (const entry of this.#timers) {
      const t = entry[1];
      if (t.due > limit) continue;
      if (best === undefined || t.due < best[1].due || (t.due === best[1].due && t.seq < best[1].seq)) best = entry;
    }
    return best;
  }
}
