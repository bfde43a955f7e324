/**
 * The samples a `--report` draws, in bounded memory: when the list reaches its cap every other
 * point is dropped and the sampling stride doubles, so a ten-hour run keeps the same few hundred
 * points as a ten-second one. Points hold cumulative counters, so rates between kept points stay exact.
 */
import type { LiveLine } from "./live-metrics.js";

export const TIMELINE_CAP = 600;

export class Timeline {
  readonly #points: LiveLine[] = [];
  #stride = 1;
  #seen = 0;

  add(line: LiveLine): void {
    if (this.#seen++ % this.#stride !== 0) return;
    this.#points.push(line);
    if (this.#points.length >= TIMELINE_CAP) {
      const kept = this.#points.filter((_, i) => i % 2 === 0);
      this.#points.length = 0;
      this.#points.push(...kept);
      this.#stride *= 2;
    }
  }

  /** The kept points, plus `last` (the final sample) when it is not already the last one. */
  points(last?: LiveLine): LiveLine[] {
    const out = [...this.#points];
    if (last && out[out.length - 1] !== last) out.push(last);
    return out;
  }
}
