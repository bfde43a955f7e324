import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { MetricsRecorder } from "../../src/metrics/metrics-recorder.js";

describe("MetricsRecorder", () => {
  it("tracks in-flight requests, finished records and errors", () => {
    const m = new MetricsRecorder(new FakeClock());
    m.requestStarted();
    m.requestStarted();
    m.requestStarted();
    m.requestFinished(120);
    m.recordDone(true);
    m.requestFinished();
    m.recordDone(false);
    const s = m.snapshot();
    expect(s.inFlight).toBe(1);
    expect(s.done).toBe(2);
    expect(s.errors).toBe(1);
    expect(m.totalTokens).toBe(120);
    expect(m.requestsStarted).toBe(3);
    expect(m.requestsFinished).toBe(2);
  });

  it("measures RPM and TPM over a sliding 60 s window", () => {
    const clock = new FakeClock();
    const m = new MetricsRecorder(clock);
    // 2 requests per second, 100 tokens each, for two minutes.
    for (let t = 0; t < 120_000; t += 500) {
      m.requestStarted();
      m.requestFinished(100);
      clock.advance(500);
    }
    expect(m.snapshot().rpm).toBe(120);
    expect(m.snapshot().tpm).toBe(12_000);
    // Traffic stops: the window drains second by second (1 s granularity) and keeps no stale minute.
    clock.advance(30_000);
    expect(Math.abs(m.snapshot().rpm - 60)).toBeLessThanOrEqual(1);
    clock.advance(30_000);
    expect(m.snapshot().rpm).toBe(0);
    expect(m.snapshot().tpm).toBe(0);
  });

  it("scales to the elapsed time during the first minute", () => {
    const clock = new FakeClock();
    const m = new MetricsRecorder(clock);
    for (let i = 0; i < 50; i++) m.requestStarted();
    clock.advance(10_000);
    expect(m.snapshot().rpm).toBe(300); // 50 in 10 s
  });
});
