/**
 * The spending cap (`--max-cost`). Before each attempt the caller reserves the request's
 * worst-case cost; when usage comes back it settles the hold with what was actually charged, and
 * the unused part returns to the budget. `spent + reserved` never exceeds the limit, so the run
 * cannot go over it even with every request in flight at its worst.
 *
 * A request that does not fit waits, in arrival order, while other holds are outstanding (their
 * settlement may free enough). When nothing is outstanding and it still does not fit, the budget
 * is exhausted: that request and every later one are refused with `BudgetExceededError`.
 */
import { systemClock, type Clock } from "../gates/clock.js";
import type { Admission } from "../gates/gate-options.js";
import { WaiterQueue, type QueueNode } from "../gates/waiter-queue.js";

/** Sub-nano-dollar float noise must not decide whether a request fits. */
const EPSILON_USD = 1e-12;

export class BudgetExceededError extends Error {
  /** Worst-case cost of the refused request. */
  readonly neededUsd: number;
  /** What was left of the budget when it was refused. */
  readonly remainingUsd: number;
  readonly limitUsd: number;

  constructor(neededUsd: number, remainingUsd: number, limitUsd: number, spentBeforeUsd = 0) {
    const before = spentBeforeUsd > 0 ? ` ($${usd(spentBeforeUsd)} of it spent before this run)` : "";
    super(`budget reached: the next request could cost up to $${usd(neededUsd)}, but only $${usd(remainingUsd)} of the $${usd(limitUsd)} budget is left${before}`);
    this.name = "BudgetExceededError";
    this.neededUsd = neededUsd;
    this.remainingUsd = remainingUsd;
    this.limitUsd = limitUsd;
  }
}

const usd = (x: number): string => (x >= 0.01 ? x.toFixed(4) : x.toPrecision(3));

export interface BudgetHold {
  readonly usd: number;
}

class Hold implements BudgetHold {
  settled = false;
  constructor(
    readonly usd: number,
    readonly owner: BudgetGate,
  ) {}
}

interface Waiter extends QueueNode {
  usd: number;
  enqueuedAt: number;
  resolve(a: Admission & { hold: BudgetHold }): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

export interface BudgetGateOptions {
  /** The cap in USD; must be positive. */
  maxUsd: number;
  /**
   * Already charged against the cap before this gate existed (earlier runs on the same results
   * file); at or above `maxUsd`, the first request is refused. @default 0
   */
  spentUsd?: number;
  /** @default systemClock */
  clock?: Clock;
}

export class BudgetGate {
  readonly limitUsd: number;
  /** What `spentUsd` started at (see `BudgetGateOptions.spentUsd`). */
  readonly spentBeforeUsd: number;
  readonly #clock: Clock;
  readonly #queue = new WaiterQueue<Waiter>();
  #spent = 0;
  #reserved = 0;
  #exhausted: BudgetExceededError | undefined;

  constructor(options: BudgetGateOptions) {
    if (!(Number.isFinite(options.maxUsd) && options.maxUsd > 0)) {
      throw new RangeError(`maxUsd must be a positive number, got ${String(options.maxUsd)}`);
    }
    const before = options.spentUsd ?? 0;
    if (!(Number.isFinite(before) && before >= 0)) throw new RangeError(`spentUsd must be a non-negative number, got ${String(before)}`);
    this.limitUsd = options.maxUsd;
    this.spentBeforeUsd = before;
    this.#spent = before;
    this.#clock = options.clock ?? systemClock;
  }

  /** Reserves `usd`; resolves when it fits, rejects with `BudgetExceededError` once it never can. */
  acquire(usd: number, signal?: AbortSignal): Promise<Admission & { hold: BudgetHold }> {
    if (!(Number.isFinite(usd) && usd >= 0)) throw new RangeError(`usd must be a non-negative number, got ${String(usd)}`);
    if (signal?.aborted) return Promise.reject(signal.reason ?? new Error("aborted"));
    if (this.#exhausted) return Promise.reject(this.#refusal(usd));
    if (this.#queue.size === 0 && this.#fits(usd)) return Promise.resolve({ waitedMs: 0, hold: this.#take(usd) });
    if (this.#reserved <= EPSILON_USD && this.#queue.size === 0) return Promise.reject(this.#exhaust(usd));
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        if (this.#queue.remove(waiter)) reject(signal?.reason ?? new Error("aborted"));
      };
      const waiter: Waiter = {
        usd,
        enqueuedAt: this.#clock.now(),
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#queue.push(waiter);
    });
  }

  /**
   * Ends a hold: `actualUsd` is charged (it may exceed the hold when a provider bills more than its
   * estimate) and the rest of the hold returns to the budget. Only the first settle has an effect.
   */
  settle(hold: BudgetHold, actualUsd: number): void {
    if (!(hold instanceof Hold) || hold.owner !== this || hold.settled) return;
    hold.settled = true;
    this.#reserved = Math.max(0, this.#reserved - hold.usd);
    this.#spent += Math.max(0, Number.isFinite(actualUsd) ? actualUsd : hold.usd);
    this.#drain();
  }

  /** USD charged so far (settled holds), `spentBeforeUsd` included. */
  get spentUsd(): number {
    return this.#spent;
  }

  /** USD held by requests in flight. */
  get reservedUsd(): number {
    return this.#reserved;
  }

  get remainingUsd(): number {
    return Math.max(0, this.limitUsd - this.#spent - this.#reserved);
  }

  get waiting(): number {
    return this.#queue.size;
  }

  /** True once a request was refused: the budget admits nothing more. */
  get exhausted(): boolean {
    return this.#exhausted !== undefined;
  }

  #fits(usd: number): boolean {
    return this.#spent + this.#reserved + usd <= this.limitUsd + EPSILON_USD;
  }

  #take(usd: number): Hold {
    this.#reserved += usd;
    return new Hold(usd, this);
  }

  #exhaust(usd: number): BudgetExceededError {
    this.#exhausted = new BudgetExceededError(usd, this.remainingUsd, this.limitUsd, this.spentBeforeUsd);
    return this.#exhausted;
  }

  #refusal(usd: number): BudgetExceededError {
    return new BudgetExceededError(usd, this.remainingUsd, this.limitUsd, this.spentBeforeUsd);
  }

  /** Admits waiters from the head while they fit; refuses them all once nothing can free more. */
  #drain(): void {
    for (let head = this.#queue.head; head !== undefined; head = this.#queue.head) {
      if (!this.#exhausted && this.#fits(head.usd)) {
        this.#queue.shift();
        head.cleanup();
        head.resolve({ waitedMs: Math.max(1, Math.round(this.#clock.now() - head.enqueuedAt)), hold: this.#take(head.usd) });
        continue;
      }
      if (!this.#exhausted && this.#reserved > EPSILON_USD) return; // an outstanding hold may still free enough
      const error = this.#exhausted ? this.#refusal(head.usd) : this.#exhaust(head.usd);
      this.#queue.shift();
      head.cleanup();
      head.reject(error);
    }
  }
}
