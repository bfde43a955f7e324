/**
 * The series the report plots, from the run's samples (`LiveLine`s, oldest first). Samples hold
 * cumulative counters, so a rate is the difference between two samples over the time between them.
 */
import type { LiveLine } from "../metrics/live-metrics.js";

/** One plotted point: seconds since the start, value. */
export interface XY {
  x: number;
  y: number;
}

/** Two samples closer than this give no rate: the final sample can come milliseconds after the last tick. */
const MIN_SPAN_S = 0.2;

/**
 * How far back a rate looks: about a hundredth of the run, and at least two samples of a short run,
 * so a curve shows the run's shape rather than the jitter between two 250 ms samples.
 */
export function rateWindowS(points: readonly LiveLine[]): number {
  const last = points[points.length - 1]?.elapsed_s ?? 0;
  return Math.max(0.5, last / 100);
}

/**
 * Per-minute rates of a cumulative counter: at each sample, the change since the latest sample at
 * least `windowS` before it (or the first sample, early in the run).
 */
export function rates(points: readonly LiveLine[], pick: (p: LiveLine) => number, windowS: number): XY[] {
  const out: XY[] = [];
  let from = 0;
  for (let i = 1; i < points.length; i++) {
    const at = points[i]!;
    while (from + 1 < i && at.elapsed_s - points[from + 1]!.elapsed_s >= windowS) from++;
    const start = points[from]!;
    const span = at.elapsed_s - start.elapsed_s;
    if (span < MIN_SPAN_S) continue;
    out.push({ x: at.elapsed_s, y: round1(((pick(at) - pick(start)) * 60) / span) });
  }
  return out;
}

/** A cumulative figure as it stood at each sample. */
export function cumulative(points: readonly LiveLine[], pick: (p: LiveLine) => number): XY[] {
  return points.map((p) => ({ x: p.elapsed_s, y: pick(p) }));
}

/**
 * Records that sent at least one request: the throughput. Records refused by the budget, left
 * unattempted by a stop or unreadable end in an instant, hundreds at once, and would draw a spike
 * that is not work done; they are plotted apart (`unsent`).
 */
export const completed = (p: LiveLine): number => p.records_done - p.unsent;
/** Records that failed after sending a request. */
export const failedSent = (p: LiveLine): number => p.failed - p.unsent;

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
