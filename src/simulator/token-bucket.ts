/**
 * A continuously refilling bucket, as OpenAI enforces RPM/TPM: the per-minute limit
 * refills at limit/60 per second, but the bucket only holds `limit * burstSeconds / 60`,
 * so a full minute's quota cannot be spent in one burst.
 *
 * Admission rule (the client's gates mirror it exactly, keep it in sync):
 *   a cost c is admitted when `available >= min(c, capacity)`, then `available -= c`.
 * `available` may go negative (debt), which is how a request larger than the slice
 * still gets through once the bucket is full, and then blocks others until repaid.
 */
export class TokenBucket {
  readonly limit: number;
  readonly capacity: number;
  /** Units per millisecond. */
  readonly #ratePerMs: number;
  #available: number;
  #updatedAt: number;
  readonly #now: () => number;

  constructor(limit: number, burstSeconds: number, now: () => number = performance.now.bind(performance)) {
    if (!(limit > 0)) throw new RangeError(`limit must be > 0, got ${limit}`);
    if (!(burstSeconds > 0)) throw new RangeError(`burstSeconds must be > 0, got ${burstSeconds}`);
    this.limit = limit;
    this.capacity = (limit * burstSeconds) / 60;
    this.#ratePerMs = limit / 60_000;
    this.#available = this.capacity;
    this.#now = now;
    this.#updatedAt = now();
  }

  #refill(): void {
    const now = this.#now();
    const elapsed = now - this.#updatedAt;
    if (elapsed > 0) {
      this.#available = Math.min(this.capacity, this.#available + elapsed * this.#ratePerMs);
      this.#updatedAt = now;
    }
  }

  /** Units available right now (negative while in debt). */
  available(): number {
    this.#refill();
    return this.#available;
  }

  /** Would `cost` be admitted now? Does not charge. */
  canTake(cost: number): boolean {
    this.#refill();
    return this.#available >= Math.min(cost, this.capacity);
  }

  /** Charges unconditionally; call after `canTake` said yes. */
  take(cost: number): void {
    this.#refill();
    this.#available -= cost;
  }

  /** Gives back `amount` of an earlier charge (capped at capacity): the unused part of a reservation. */
  credit(amount: number): void {
    if (!(amount > 0)) return;
    this.#refill();
    this.#available = Math.min(this.capacity, this.#available + amount);
  }

  /** Milliseconds until `cost` would be admitted (0 when it already would be). */
  waitMs(cost: number): number {
    this.#refill();
    const missing = Math.min(cost, this.capacity) - this.#available;
    return missing > 0 ? missing / this.#ratePerMs : 0;
  }

  /**
   * Remaining on the per-minute scale, as the `x-ratelimit-remaining-*` headers report it:
   * the limit minus what the bucket is short of full. Like the real API, this can read
   * high while the current slice is exhausted; the slice is an enforcement detail.
   */
  remaining(): number {
    this.#refill();
    return Math.max(0, Math.floor(this.limit - (this.capacity - this.#available)));
  }

  /** Milliseconds until the bucket is full again: (limit − remaining) / refill rate. */
  resetMs(): number {
    this.#refill();
    return (this.capacity - this.#available) / this.#ratePerMs;
  }
}
