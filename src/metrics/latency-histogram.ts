/**
 * Latency percentiles in constant memory: log-scale buckets with a 2% growth factor, so any
 * reported percentile is within 1% of a value actually recorded at that rank (the DDSketch
 * bound `(γ - 1) / (γ + 1)`). A million-record run keeps ~1,400 counters, not a million latencies.
 */

/** Bucket growth factor. */
const GAMMA = 1.02;
const LOG_GAMMA = Math.log(GAMMA);
/** Values at or below this (0 included) share the underflow bucket; 1 µs is below any HTTP call. */
const MIN_TRACKED_MS = 1e-3;
/** Values above this (~11.6 days) share the top bucket; min/max stay exact regardless. */
const MAX_TRACKED_MS = 1e9;
const MIN_INDEX = Math.floor(Math.log(MIN_TRACKED_MS) / LOG_GAMMA);
const MAX_INDEX = Math.ceil(Math.log(MAX_TRACKED_MS) / LOG_GAMMA);
/** Slot 0 is the underflow bucket; slot k > 0 holds (γ^(i-1), γ^i] with i = MIN_INDEX + k. */
const SLOTS = MAX_INDEX - MIN_INDEX + 1;

function slotOf(ms: number): number {
  if (ms <= MIN_TRACKED_MS) return 0;
  const i = Math.ceil(Math.log(ms) / LOG_GAMMA);
  return Math.min(SLOTS - 1, Math.max(1, i - MIN_INDEX));
}

/** The point of a bucket closest, in relative terms, to every value it may hold. */
function representative(slot: number): number {
  if (slot === 0) return 0;
  return (2 * GAMMA ** (slot + MIN_INDEX)) / (GAMMA + 1);
}

export class LatencyHistogram {
  // Float64 rather than Uint32: counts stay exact past 2^32 and merging cannot overflow.
  readonly #counts = new Float64Array(SLOTS);
  #count = 0;
  #sum = 0;
  #min = Infinity;
  #max = -Infinity;

  /** Records one latency in milliseconds (negative values count as 0). */
  record(ms: number): void {
    if (!Number.isFinite(ms)) throw new RangeError(`latency must be a finite number of ms, got ${ms}`);
    const v = Math.max(0, ms);
    this.#counts[slotOf(v)]! += 1;
    this.#count++;
    this.#sum += v;
    if (v < this.#min) this.#min = v;
    if (v > this.#max) this.#max = v;
  }

  get count(): number {
    return this.#count;
  }

  /** Largest value recorded, exact; 0 when empty. */
  get max(): number {
    return this.#count === 0 ? 0 : this.#max;
  }

  /** Smallest value recorded, exact; 0 when empty. */
  get min(): number {
    return this.#count === 0 ? 0 : this.#min;
  }

  get mean(): number {
    return this.#count === 0 ? 0 : this.#sum / this.#count;
  }

  /**
   * Nearest-rank percentile, `p` in [0, 100], within 1% of the exact value; 0 when empty.
   * p = 0 and p = 100 return the exact min and max.
   */
  percentile(p: number): number {
    if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within [0, 100], got ${p}`);
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil((p / 100) * this.#count));
    if (rank >= this.#count) return this.#max;
    if (p === 0) return this.#min;
    let seen = 0;
    for (let slot = 0; slot < SLOTS; slot++) {
      seen += this.#counts[slot]!;
      if (seen >= rank) return Math.min(this.#max, Math.max(this.#min, representative(slot)));
    }
    return this.#max; // unreachable: the counts add up to #count
  }

  /** Adds every value recorded in `other` (e.g. per-worker histograms into a run total). */
  merge(other: LatencyHistogram): void {
    if (other.#count === 0) return;
    for (let slot = 0; slot < SLOTS; slot++) this.#counts[slot]! += other.#counts[slot]!;
    this.#count += other.#count;
    this.#sum += other.#sum;
    this.#min = Math.min(this.#min, other.#min);
    this.#max = Math.max(this.#max, other.#max);
  }
}
