import { describe, expect, it } from "vitest";
import { formatDuration, formatProgress, type ProgressView } from "../../src/cli/progress.js";

const view = (over: Partial<ProgressView>): ProgressView => ({ done: 0, skipped: 0, total: undefined, inFlight: 4, rpm: 480.4, tpm: 45210, failed: 1, elapsedMs: 30_000, ...over });

describe("the progress line's text", () => {
  it("shows a bar, done/total, the percent and the time left at the run's average rate", () => {
    // 250 records in 30 s: 750 left take 90 s.
    expect(formatProgress(view({ done: 250, total: 1000 }))).toBe("█████░░░░░░░░░░░░░░░ 250/1,000 25% · ETA 1m30s · 4 in flight · 480 req/min · 45,210 tok/min · 1 failed · 30s");
  });

  it("floors the percent, so 100% means every record is done", () => {
    expect(formatProgress(view({ done: 999, total: 1000 }))).toMatch(/ 999\/1,000 99% · ETA 0s /);
    expect(formatProgress(view({ done: 1000, total: 1000 }))).toMatch(/^█{20} 1,000\/1,000 100% /);
  });

  it("counts records a resume skipped as done, but takes the rate from this run's records only", () => {
    // 600 skipped + 100 done in 30 s: 300 left at 200/min take 90 s.
    expect(formatProgress(view({ done: 100, skipped: 600, total: 1000 }))).toMatch(/^██████████████░░░░░░ 700\/1,000 70% · ETA 1m30s · /);
  });

  it("has no ETA before the first record is done", () => {
    expect(formatProgress(view({ done: 0, total: 50 }))).toBe("░░░░░░░░░░░░░░░░░░░░ 0/50 0% · 4 in flight · 480 req/min · 45,210 tok/min · 1 failed · 30s");
  });

  it("shows records done and the rates without a total (stdin, or while the count runs)", () => {
    expect(formatProgress(view({ done: 1234 }))).toBe("1,234 done · 4 in flight · 480 req/min · 45,210 tok/min · 1 failed · 30s");
  });

  it("drops a total the run outgrew (a count that was wrong) instead of showing more than 100%", () => {
    expect(formatProgress(view({ done: 11, total: 10 }))).toBe("11 done · 4 in flight · 480 req/min · 45,210 tok/min · 1 failed · 30s");
  });

  it("writes durations as seconds, minutes and seconds, or hours and minutes", () => {
    expect([formatDuration(0), formatDuration(42_400), formatDuration(187_000), formatDuration(7_500_000)]).toEqual(["0s", "42s", "3m07s", "2h05m"]);
  });
});
