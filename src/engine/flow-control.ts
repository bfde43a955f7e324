/**
 * The two small primitives that keep the engine streaming: a counting semaphore that bounds how
 * many records are between the reader and the consumer, and a queue that hands finished results
 * to the consumer in completion order.
 */

export class Slots {
  #free: number;
  #waiters: (() => void)[] = [];
  #head = 0;

  constructor(size: number) {
    this.#free = size;
  }

  #closed = false;

  acquire(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    if (this.#free > 0 && this.#head === this.#waiters.length) {
      this.#free--;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  release(): void {
    if (this.#head < this.#waiters.length) {
      const next = this.#waiters[this.#head]!;
      this.#waiters[this.#head++] = noop;
      if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
        this.#waiters = this.#waiters.slice(this.#head);
        this.#head = 0;
      }
      next();
    } else {
      this.#free++;
    }
  }

  /** Lets every waiter through, now and later: the consumer is gone and the producer must wind down. */
  open(): void {
    this.#closed = true;
    const waiters = this.#waiters.slice(this.#head);
    this.#waiters = [];
    this.#head = 0;
    for (const w of waiters) w();
  }
}

function noop(): void {}

export class ResultQueue<T> implements AsyncIterable<T> {
  // Taken items are cleared and the array compacted, so a consumer that never quite catches up
  // does not keep every result it already took (the array is reset only when fully drained).
  #items: (T | undefined)[] = [];
  #head = 0;
  #closed = false;
  #failure: { error: unknown } | undefined;
  #wake: (() => void) | undefined;

  push(item: T): void {
    this.#items.push(item);
    this.#notify();
  }

  /** No more items will come; `error`, if given, is thrown to the consumer after the last item. */
  close(error?: unknown): void {
    this.#closed = true;
    if (error !== undefined) this.#failure = { error };
    this.#notify();
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<T> {
    for (;;) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head] as T;
        this.#items[this.#head++] = undefined;
        if (this.#head === this.#items.length) {
          this.#items = [];
          this.#head = 0;
        } else if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head);
          this.#head = 0;
        }
        yield item;
        continue;
      }
      if (this.#closed) {
        if (this.#failure) throw this.#failure.error;
        return;
      }
      await new Promise<void>((resolve) => (this.#wake = resolve));
    }
  }
}
