/**
 * Ollama's scheduler as seen from outside (its FAQ, "How does Ollama handle concurrent requests?"): per model, `numParallel`
 * requests run at once and up to `maxQueue` more wait in FIFO order; one more than that
 * gets an immediate 503. A client that gives up while waiting leaves the queue.
 */
import type { ServerResponse } from "node:http";

/** Ends a granted slot; idempotent. */
export type Release = () => void;

export interface Ticket {
  /** Leaves the queue if still waiting, or frees the slot if granted. */
  cancel(): void;
}

interface Waiter {
  grant: (release: Release) => void;
  cancelled: boolean;
}

export class ModelQueue {
  readonly #numParallel: number;
  readonly #maxQueue: number;
  #running = 0;
  #waiting: Waiter[] = [];
  #head = 0;
  #waitingLive = 0;

  constructor(numParallel: number, maxQueue: number) {
    if (!(Number.isInteger(numParallel) && numParallel >= 1)) {
      throw new RangeError(`ollama.numParallel must be an integer >= 1, got ${numParallel}`);
    }
    if (!(Number.isInteger(maxQueue) && maxQueue >= 0)) {
      throw new RangeError(`ollama.maxQueue must be an integer >= 0, got ${maxQueue}`);
    }
    this.#numParallel = numParallel;
    this.#maxQueue = maxQueue;
  }

  /**
   * Asks for a slot. `grant` runs (synchronously if a slot is free) with the function that
   * gives the slot back. Returns undefined when the queue is full: the caller sends 503.
   */
  enter(grant: (release: Release) => void): Ticket | undefined {
    if (this.#running < this.#numParallel) {
      const release = this.#start();
      grant(release);
      return { cancel: release };
    }
    if (this.#waitingLive >= this.#maxQueue) return undefined;
    const waiter: Waiter = { grant, cancelled: false };
    let release: Release | undefined;
    waiter.grant = (r) => {
      release = r;
      grant(r);
    };
    this.#waiting.push(waiter);
    this.#waitingLive++;
    return {
      cancel: () => {
        if (release) return release();
        if (!waiter.cancelled) {
          waiter.cancelled = true;
          this.#waitingLive--;
        }
      },
    };
  }

  #start(): Release {
    this.#running++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#running--;
      this.#next();
    };
  }

  #next(): void {
    while (this.#running < this.#numParallel && this.#head < this.#waiting.length) {
      const waiter = this.#waiting[this.#head++];
      if (!waiter || waiter.cancelled) continue;
      this.#waitingLive--;
      waiter.grant(this.#start());
    }
    // Compact now and then, so a long run does not keep every served waiter alive.
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
  }
}

/**
 * Waits for a slot of `queue` on behalf of one HTTP request. Resolves with the release
 * function, "full" (send 503), or "closed" if the client left first (its place is freed).
 * Once granted, the slot is given back when the response closes, whatever happened.
 */
export function acquireSlot(queue: ModelQueue, res: ServerResponse): Promise<Release | "full" | "closed"> {
  return new Promise((resolve) => {
    let settled = false;
    let ticket: Ticket | undefined;
    const onClose = () => {
      if (settled) return;
      settled = true;
      ticket?.cancel();
      resolve("closed");
    };
    res.once("close", onClose);
    ticket = queue.enter((release) => {
      if (settled) {
        release();
        return;
      }
      settled = true;
      res.off("close", onClose);
      if (res.destroyed) release();
      else res.once("close", release);
      resolve(release);
    });
    if (!ticket && !settled) {
      settled = true;
      res.off("close", onClose);
      resolve("full");
    }
  });
}
