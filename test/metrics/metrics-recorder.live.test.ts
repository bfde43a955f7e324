import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { MetricsRecorder } from "../../src/metrics/metrics-recorder.js";
import { Timeline, TIMELINE_CAP } from "../../src/metrics/timeline.js";
import { liveLine } from "../../src/metrics/live-metrics.js";
import { emptyBackoff, emptyUsage, type GenerationResult } from "../../src/types.js";

const result = (ok: boolean, latency: number, cost: number | null): GenerationResult => ({
  id: "x",
  ...(ok ? { ok, output: "o" } : { ok, error: { type: "timeout" as const, message: "t", retriable: true } }),
  usage: emptyUsage(),
  cost_usd: cost,
  attempts: 1,
  backoff: emptyBackoff(),
  latency_ms: latency,
  steps: [],
});

describe("MetricsRecorder live windows", () => {
  it("keeps waits by kind, errors by type, cost so far and a windowed mean latency", () => {
    const clock = new FakeClock();
    const m = new MetricsRecorder(clock);
    m.waited("rpm", 100);
    m.waited("rpm", 50);
    m.waited("retry", 500);
    m.recordResult(result(true, 200, 0.5));
    m.recordResult(result(false, 400, null));
    m.requestStarted();
    m.requestFinished(0, true);
    clock.advance(2_000);
    const s = m.snapshot();
    expect(s.waits).toEqual({ rpm: { count: 2, ms: 150 }, tpm: { count: 0, ms: 0 }, budget: { count: 0, ms: 0 }, retry: { count: 1, ms: 500 } });
    expect(s.errorsByType).toEqual({ timeout: 1 });
    // A record whose cost is unknown (an unpriced model answered) makes the total unknown, as in the summary.
    expect(s.costUsd).toBeNull();
    expect(s.pricedCostUsd).toBe(0.5);
    expect(s.latencyMsAvg).toBe(300);
    expect(s.errorsPerMin).toBe(30); // 1 failed attempt in 2 s
    expect(s.ok).toBe(1);
    clock.advance(61_000);
    expect(m.snapshot().latencyMsAvg).toBe(0); // left the window
  });
});

describe("Timeline", () => {
  it("stays bounded on a long run, halving its points and keeping the final sample", () => {
    const clock = new FakeClock();
    const m = new MetricsRecorder(clock);
    const t = new Timeline();
    let last: ReturnType<typeof liveLine> | undefined;
    for (let i = 0; i < 10 * TIMELINE_CAP; i++) {
      clock.advance(250);
      t.add((last = liveLine(m.snapshot(), { queued: { rpm: 0, tpm: 0, budget: 0 } })));
    }
    const points = t.points(last);
    expect(points.length).toBeLessThanOrEqual(TIMELINE_CAP + 1);
    expect(points.length).toBeGreaterThan(TIMELINE_CAP / 4);
    expect(points[points.length - 1]).toBe(last);
    for (let i = 1; i < points.length; i++) expect(points[i]!.elapsed_s).toBeGreaterThan(points[i - 1]!.elapsed_s);
  });
});
