/**
 * Puts results back in input order for `--ordered`.
 *
 * Results finish in any order, each tagged with its input position `seq` (0-based, no gaps).
 * `push` holds a result until every earlier one has arrived, then releases the run of
 * consecutive results it completes.
 *
 * Size: it holds only results that finished while an earlier one is still running. The engine
 * admits a record only when a slot is free, and a slot is freed when its result is released
 * from here, so the buffer never holds more than the engine's admission window (a small
 * multiple of the concurrency), however long the batch is. One slow record stalls output, not
 * memory.
 */
export class OrderedBuffer<T> {
  readonly #held = new Map<number, T>();
  #next = 0;

  /** Adds result `seq`; returns the results now releasable, in input order (often none). */
  push(seq: number, value: T): T[] {
    if (!Number.isInteger(seq) || seq < this.#next || this.#held.has(seq)) {
      // Every position arrives exactly once; anything else is a bug upstream, not data.
      throw new RangeError(`OrderedBuffer: sequence ${seq} was already released or pushed (next expected ${this.#next})`);
    }
    if (seq !== this.#next) {
      this.#held.set(seq, value);
      return [];
    }
    const ready = [value];
    this.#next++;
    while (this.#held.has(this.#next)) {
      ready.push(this.#held.get(this.#next) as T);
      this.#held.delete(this.#next);
      this.#next++;
    }
    return ready;
  }

  /** Results waiting for an earlier one. */
  get size(): number {
    return this.#held.size;
  }

  /** The position the buffer waits for. */
  get nextSeq(): number {
    return this.#next;
  }

  /**
   * Releases everything held, in input order, skipping the positions that never arrived. For a
   * run that stops early (interrupt): results already computed still reach the output, and
   * `--resume` redoes the missing ones.
   */
  flush(): T[] {
    const seqs = [...this.#held.keys()].sort((a, b) => a - b);
    const out = seqs.map((s) => this.#held.get(s) as T);
    this.#held.clear();
    if (seqs.length > 0) this.#next = seqs[seqs.length - 1]! + 1;
    return out;
  }
}
