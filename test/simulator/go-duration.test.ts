import { describe, expect, it } from "vitest";
import { formatGoDuration } from "../../src/simulator/go-duration.js";
import { parseGoDuration } from "./helpers.js";

describe("formatGoDuration", () => {
  it.each([
    [1000, "1s"],
    [360_000, "6m0s"],
    [547, "547ms"],
    [172_800, "2m52.8s"],
    [12, "12ms"],
    [9, "9ms"],
    [33_023, "33.023s"],
    [60_000, "1m0s"],
    [3_723_500, "1h2m3.5s"],
    [0.5, "500µs"],
    [0.0004, "400ns"],
    [12.5, "12.5ms"],
    [0, "0s"],
  ])("formats %s ms as %s", (ms, text) => {
    expect(formatGoDuration(ms)).toBe(text);
  });

  it("rounds up to the next unit instead of printing 1000ms or 1m60s", () => {
    expect(formatGoDuration(999.9996)).toBe("1s");
    expect(formatGoDuration(119_999.9999)).toBe("2m0s");
  });

  it("round-trips through a Go duration parser within a millisecond", () => {
    for (const ms of [1, 7.25, 999, 1001, 59_999, 61_234, 7_654_321]) {
      expect(Math.abs(parseGoDuration(formatGoDuration(ms)) - ms)).toBeLessThan(1);
    }
  });
});
