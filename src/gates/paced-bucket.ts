/**
 * The core shared by `RpmGate` and `TpmGate`: a continuously refilling token bucket with a FIFO of
 * waiters, the same model the simulator enforces server-side.
 *
 * - Refill: `limit / 60` per second, continuously (OpenAI's counters refill, they do not reset).
 * - Capacity: `limit * (burstSeconds - marginMs / 1000) / 60`. Providers enforce per-minute limits
 *   over short slices, so a minute's quota is never released at once: 6000 RPM with the default
 *   1 s burst is 100 per second, paced one every 10 ms once the first burst is out. A margin
 *   (`marginMs` of refill, 100 ms in the engine) keeps our bucket that much below the server's,
 *   which absorbs the jitter between admission here and arrival there (`GateOptions.marginMs`).
 * - Admission: a cost `c` is admitted when `available >= min(c, capacity)`, then `available -= c`.
 *   A cost above capacity therefore needs a full bucket and leaves it in debt, which refills.
 * - Waiters are served strictly in arrival order; only the head is ever examined, and one timer
 *   (for the head) is the only thing that wakes the queue.
 */
import { systemClock, type Clock } from "./clock.js";
import type { Admission, GateOptions } from "./gate-options.js";
import { HeadTimer } from "./head-timer.js";
import { WaiterQueue, type QueueNode } from "./waiter-queue.js";

interface Waiter extends QueueNode {
  cost: number;
  enqueuedAt: number;
  resolve(a: Admission): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

function validateLimit(limit: number | undefined, what: string): number | undefined {
  if (limit !== undefined && !(Number.isFinite(limit) && limit > 0)) {
    throw new RangeError(`${what} must be a positive number or undefined, got ${String(limit)}`);
  }
  return limit;
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

export class PacedBucket {
  readonly #clock: Clock;
  /** "RPM" or "TPM", to name the gate in error messages. */
  readonly #name: string;
  /** Seconds' worth of the limit the bucket holds: the burst less the transit margin. */
  readonly #holdSeconds: number;
  readonly #learn: boolean;
  /** The limit the caller configured; `#limit` is the one in force (lower when learned). */
  #configured: number | undefined;
  /** Returns an error for a cost that can never be admitted under `limit`, else undefined. */
  readonly #tooLarge: (cost: number, limit: number) => Error | undefined;
  readonly #queue = new WaiterQueue<Waiter>();
  #limit: number | undefined;
  #level = 0;
  #lastRefill: number;
  #pausedUntil = -Infinity;
  readonly #timer: HeadTimer;
  #learnedLimit: number | undefined;

  constructor(options: GateOptions, name: string, tooLarge: (cost: number, limit: number) => Error | undefined = () => undefined) {
    this.#name = name;
    const burst = options.burstSeconds ?? 1;
    if (!(Number.isFinite(burst) && burst > 0)) {
      throw new RangeError(`${name} burstSeconds must be a positive number, got ${String(options.burstSeconds)}`);
    }
    const marginMs = options.marginMs ?? 0;
    if (!(Number.isFinite(marginMs) && marginMs >= 0)) {
      throw new RangeError(`${name} marginMs must be a non-negative number, got ${String(options.marginMs)}`);
    }
    this.#holdSeconds = Math.max(burst / 2, burst - marginMs / 1000);
    this.#learn = options.learnLimits ?? false;
    this.#clock = options.clock ?? systemClock;
    this.#timer = new HeadTimer(this.#clock, () => this.#pump());
    this.#tooLarge = tooLarge;
    this.#limit = this.#configured = validateLimit(options.limit, `${name} limit`);
    this.#lastRefill = this.#clock.now();
    this.#level = this.capacity; // a fresh bucket starts full, as on the server
  }

  get limit(): number | undefined {
    return this.#limit;
  }

  /** Largest level the bucket holds; Infinity when unlimited. */
  get capacity(): number {
    return this.#limit === undefined ? Infinity : (this.#limit * this.#holdSeconds) / 60;
  }

  /** Current level (negative = debt being refilled); Infinity when unlimited. */
  get available(): number {
    this.#refill(this.#clock.now());
    return this.#limit === undefined ? Infinity : this.#level;
  }

  get waiting(): number {
    return this.#queue.size;
  }

  /** Last limit a server reported (`x-ratelimit-limit-*`); applied only with `learnLimits`. */
  get learnedLimit(): number | undefined {
    return this.#learnedLimit;
  }

  acquire(cost: number, signal?: AbortSignal): Promise<Admission> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#limit !== undefined) {
      const err = this.#tooLarge(cost, this.#limit);
      if (err) return Promise.reject(err);
    }
    const now = this.#clock.now();
    // Fast path only when nobody is queued: a small request never overtakes a waiting big one.
    if (this.#queue.size === 0 && now >= this.#pausedUntil && this.#take(cost, now)) {
      return Promise.resolve({ waitedMs: 0 });
    }
    return new Promise<Admission>((resolve, reject) => {
      const waiter: Waiter = { cost, enqueuedAt: now, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        waiter.onAbort = () => this.#abort(waiter);
        signal.addEventListener("abort", waiter.onAbort, { once: true });
      }
      this.#queue.push(waiter);
      if (this.#queue.size === 1) this.#pump(); // new head: arm the single timer
    });
  }

  /**
   * Milliseconds until `cost` would be admitted, ignoring anyone queued here (0 = now): the
   * primitive of a quota store, which takes from two buckets at once and keeps its own queue.
   * A pause in force counts; a cost that can never fit is `refusal`'s to say.
   */
  msUntilAdmissible(cost: number): number {
    const now = this.#clock.now();
    if (now < this.#pausedUntil) return Math.max(1, Math.ceil(this.#pausedUntil - now));
    if (this.#limit === undefined) return 0;
    this.#refill(now);
    return this.#level < Math.min(cost, this.capacity) ? this.#msUntilFits(cost) : 0;
  }

  /** Why `cost` can never be admitted under the limit in force (above the whole limit), or undefined. */
  refusal(cost: number): Error | undefined {
    return this.#limit === undefined ? undefined : this.#tooLarge(cost, this.#limit);
  }

  /**
   * Blocks admission for everyone until now + ms; never shortens a pause already in force.
   * A 429 says the server's bucket is empty, so ours is emptied too (debt is kept): admission
   * then resumes at the refill pace, not with a burst that would meet another 429.
   */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    const now = this.#clock.now();
    this.#refill(now);
    this.#level = Math.min(this.#level, 0);
    const until = now + ms;
    if (until <= this.#pausedUntil) return;
    this.#pausedUntil = until;
    if (this.#queue.size > 0) this.#pump();
  }

  /**
   * Changes the limit at runtime. The level is kept (clamped to the new capacity), so lowering a
   * limit takes effect at once and raising one refills faster from where the bucket is. Going from
   * unlimited to limited starts a full bucket, as a fresh gate would. With `learnLimits`, the
   * lower of `limit` and the server's reported limit applies.
   */
  setLimit(limit: number | undefined): void {
    validateLimit(limit, `${this.#name} limit`);
    this.#configured = limit;
    const learned = this.#learn ? this.#learnedLimit : undefined;
    this.#apply(limit === undefined ? learned : learned === undefined ? limit : Math.min(limit, learned));
  }

  #apply(limit: number | undefined): void {
    if (limit === this.#limit) return;
    const now = this.#clock.now();
    this.#refill(now);
    const wasUnlimited = this.#limit === undefined;
    this.#limit = limit;
    this.#level = wasUnlimited ? this.capacity : Math.min(this.#level, this.capacity);
    this.#lastRefill = now;
    if (this.#queue.size > 0) this.#pump();
  }

  /** Gives `amount` back (capped at capacity) and lets the head in if it now fits. */
  credit(amount: number): void {
    if (this.#limit === undefined || !(amount > 0)) return;
    this.#refill(this.#clock.now());
    this.#level = Math.min(this.capacity, this.#level + amount);
    if (this.#queue.size > 0) this.#pump();
  }

  /** Charges `amount` more. Only delays the head, so the armed timer simply re-checks on firing. */
  debit(amount: number): void {
    if (this.#limit === undefined || !(amount > 0)) return;
    this.#refill(this.#clock.now());
    this.#level -= amount;
  }

  /**
   * Takes in what a server reported (`x-ratelimit-limit-*` and `-remaining-*`, read together).
   *
   * - `reportedLimit` is recorded as `learnedLimit`. With `learnLimits` it is applied: it becomes
   *   the limit when none was configured, or when it is lower than the configured one.
   * - `remaining` is on the per-minute scale (OpenAI and the simulator report
   *   `limit - (capacity - level)`), so the server's shortfall from a full bucket is
   *   `reportedLimit - remaining`, and its level in our bucket's terms is
   *   `capacity - shortfall`. Our level is lowered to that when it is lower; it is never raised.
   * - The headers are read as describing the server now: the simulator computes them when it
   *   responds, after charging every request it has received, in-flight ones included. So no
   *   in-flight cost is subtracted again (that would count it twice).
   * - `remaining` is a whole number, floored: the server may hold up to 1 more than it says, and
   *   that 1 is granted rather than taken (it would otherwise cost a 60 RPM gate a second).
   * - Nothing happens without a configured limit or without both headers, so an unlimited gate
   *   or a provider that sends no headers behaves exactly as if `observe` were never called.
   *
   * When a response also settles a TPM reservation, reconcile first and observe second: a server
   * that does not refund unused tokens then takes the refund straight back.
   */
  observeRemaining(remaining: number | undefined, reportedLimit: number | undefined): void {
    if (reportedLimit === undefined || !(Number.isFinite(reportedLimit) && reportedLimit > 0)) return;
    this.#learnedLimit = reportedLimit;
    if (this.#learn) {
      const c = this.#configured;
      this.#apply(c === undefined ? reportedLimit : Math.min(c, reportedLimit));
    }
    const serverLevel = this.serverLevel(remaining, reportedLimit);
    if (serverLevel === undefined) return;
    this.#refill(this.#clock.now());
    if (serverLevel < this.#level) this.#level = serverLevel;
  }

  /**
   * The server's level in this bucket's terms (`capacity` less the server's shortfall from full),
   * as `observeRemaining` reads it; undefined without a limit in force or without both headers.
   */
  serverLevel(remaining: number | undefined, reportedLimit: number | undefined): number | undefined {
    if (this.#limit === undefined || remaining === undefined || !Number.isFinite(remaining)) return undefined;
    if (reportedLimit === undefined || !(Number.isFinite(reportedLimit) && reportedLimit > 0)) return undefined;
    return this.capacity - Math.max(0, reportedLimit - remaining - 1);
  }

  /** Units refilled per millisecond at the limit in force (0 when unlimited). */
  get ratePerMs(): number {
    return this.#ratePerMs();
  }

  #ratePerMs(): number {
    return (this.#limit ?? 0) / 60_000;
  }

  #refill(now: number): void {
    if (this.#limit !== undefined && this.#level < this.capacity) {
      this.#level = Math.min(this.capacity, this.#level + (now - this.#lastRefill) * this.#ratePerMs());
    }
    this.#lastRefill = now;
  }

  /** Charges `cost` if it is admissible now. */
  #take(cost: number, now: number): boolean {
    if (this.#limit === undefined) return true;
    this.#refill(now);
    // No float slack: the server compares exactly the same way, and admitting a hair early is a 429.
    if (this.#level < Math.min(cost, this.capacity)) return false;
    this.#level -= cost;
    return true;
  }

  /** Admits waiters from the head while they fit; arms one timer for the head that does not. */
  #pump(): void {
    this.#timer.cancel();
    const now = this.#clock.now();
    for (let w = this.#queue.head; w !== undefined; w = this.#queue.head) {
      if (now < this.#pausedUntil) return this.#timer.arm(this.#pausedUntil - now);
      const err = this.#limit === undefined ? undefined : this.#tooLarge(w.cost, this.#limit);
      if (err) {
        this.#settle(w);
        w.reject(err);
        continue;
      }
      if (!this.#take(w.cost, now)) return this.#timer.arm(this.#msUntilFits(w.cost));
      this.#settle(w);
      w.resolve({ waitedMs: Math.max(1, Math.round(now - w.enqueuedAt)) });
    }
  }

  #msUntilFits(cost: number): number {
    const deficit = Math.min(cost, this.capacity) - this.#level;
    // Rounded up, never early; if float rounding still leaves it a hair short, pump re-arms 1 ms on.
    return Math.max(1, Math.ceil(deficit / this.#ratePerMs() - 1e-6));
  }

  /** Unlinks a waiter that is about to be resolved or rejected and drops its abort listener. */
  #settle(w: Waiter): void {
    this.#queue.remove(w);
    if (w.signal && w.onAbort) w.signal.removeEventListener("abort", w.onAbort);
  }

  #abort(w: Waiter): void {
    const wasHead = this.#queue.head === w;
    if (!w.queued) return; // already admitted; the caller owns the admission
    this.#settle(w);
    w.reject(abortReason(w.signal as AbortSignal));
    if (wasHead) this.#pump(); // the next head may fit now, or needs its own timer
  }
}
