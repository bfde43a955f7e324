/**
 * The one timer of a FIFO of waiters: armed for the head's wait, re-armed (never stacked) when the
 * head changes, cleared when the queue empties. `PacedBucket` and `Quota` both pace this way.
 */
import type { Clock } from "./clock.js";

export class HeadTimer {
  readonly #clock: Clock;
  readonly #onFire: () => void;
  #timer: unknown;
  #set = false;

  constructor(clock: Clock, onFire: () => void) {
    this.#clock = clock;
    this.#onFire = onFire;
  }

  /** Fires `onFire` once in `ms` (at least 1 ms, rounded up), replacing a timer already armed. */
  arm(ms: number): void {
    this.cancel();
    this.#set = true;
    this.#timer = this.#clock.setTimer(
      () => {
        this.#set = false;
        this.#timer = undefined;
        this.#onFire();
      },
      Math.max(1, Math.ceil(ms)),
    );
  }

  cancel(): void {
    if (!this.#set) return;
    this.#clock.clearTimer(this.#timer);
    this.#set = false;
    this.#timer = undefined;
  }
}
