import { describe, it, expect } from "vitest";
import { LatencyHistogram } from "../../src/metrics/latency-histogram.js";

/** Deterministic PRNG (mulberry32) so failures reproduce. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Log-normal latencies around ~800 ms with a long tail, like LLM calls. */
function latencies(n: number, seed: number): number[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
    return Math.exp(6.7 + 0.9 * z);
  });
}

function exact(sorted: number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

describe("LatencyHistogram", () => {
  it("reports percentiles within 1% of the exact nearest-rank values", () => {
    const values = latencies(100_000, 42);
    const h = new LatencyHistogram();
    for (const v of values) h.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const p of [1, 10, 25, 50, 75, 90, 95, 99, 99.9]) {
      const want = exact(sorted, p);
      expect(Math.abs(h.percentile(p) - want) / want, `p${p}`).toBeLessThanOrEqual(0.01);
    }
    expect(h.count).toBe(100_000);
    expect(h.max).toBe(sorted[sorted.length - 1]);
    expect(h.min).toBe(sorted[0]);
    expect(h.percentile(100)).toBe(h.max);
  });

  it("handles small, zero and sub-millisecond values", () => {
    const h = new LatencyHistogram();
    expect(h.percentile(50)).toBe(0);
    expect(h.max).toBe(0);
    h.record(0);
    h.record(0.2);
    h.record(3);
    expect(h.percentile(50)).toBeCloseTo(0.2, 2);
    expect(h.percentile(1)).toBe(0);
    expect(h.percentile(100)).toBe(3);
    expect(() => h.record(Number.NaN)).toThrow(RangeError);
    expect(() => h.percentile(101)).toThrow(RangeError);
  });

  it("merges into the same distribution as recording everything in one", () => {
    const values = latencies(20_000, 7);
    const whole = new LatencyHistogram();
    const a = new LatencyHistogram();
    const b = new LatencyHistogram();
    values.forEach((v, i) => {
      whole.record(v);
      (i % 3 === 0 ? a : b).record(v);
    });
    a.merge(b);
    expect(a.count).toBe(whole.count);
    expect(a.max).toBe(whole.max);
    for (const p of [50, 90, 99]) expect(a.percentile(p)).toBe(whole.percentile(p));
    expect(a.mean).toBeCloseTo(whole.mean, 6);
  });
});
