import { describe, expect, it } from "vitest";
import { parseGoDuration, parseRateLimitHeaders, parseRetryAfter } from "../../src/providers/rate-limit-headers.js";

const from = (h: Record<string, string>) => (name: string) => h[name] ?? null;

describe("parseGoDuration", () => {
  it.each([
    ["1s", 1000],
    ["6m0s", 360_000],
    ["12ms", 12],
    ["9ms", 9],
    ["547ms", 547],
    ["2m52.8s", 172_800],
    ["33.023s", 33_023],
    ["1m0s", 60_000],
    ["1h2m3.5s", 3_723_500],
    ["0", 0],
    ["0s", 0],
    ["1.5h", 5_400_000],
    ["250us", 0.25],
    ["250µs", 0.25],
    ["250μs", 0.25],
    ["1500000ns", 1.5],
    [".5s", 500],
    [" 2s ", 2000],
  ])("%s → %d ms", (input, ms) => {
    expect(parseGoDuration(input)).toBe(ms);
  });

  it.each(["", "s", "1", "10", "-1s", "1x", "1s foo", "1d", "abc", "1..2s", "NaN"])("rejects %j", (input) => {
    expect(parseGoDuration(input)).toBeUndefined();
  });
});

describe("parseRateLimitHeaders", () => {
  it("reads the six x-ratelimit headers (the sample in OpenAI's rate-limits guide)", () => {
    const info = parseRateLimitHeaders(
      from({
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-limit-tokens": "150000",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-remaining-tokens": "149984",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-reset-tokens": "6m0s",
      }),
    );
    expect(info).toEqual({
      limitRequests: 60,
      limitTokens: 150_000,
      remainingRequests: 59,
      remainingTokens: 149_984,
      resetRequestsMs: 1000,
      resetTokensMs: 360_000,
    });
  });

  it("leaves absent and garbage headers undefined, and ignores unknown variants", () => {
    const info = parseRateLimitHeaders(
      from({
        "x-ratelimit-limit-tokens": "lots",
        "x-ratelimit-remaining-tokens": "",
        "x-ratelimit-reset-tokens": "soon",
        "x-ratelimit-remaining-tokens_usage_based": "10",
        "x-ratelimit-reset-requests": "2m52.8s",
      }),
    );
    expect(info).toEqual({ resetRequestsMs: 172_800 });
    expect(parseRateLimitHeaders(from({}))).toEqual({});
  });

  it("takes retry-after-ms before retry-after", () => {
    expect(parseRateLimitHeaders(from({ "retry-after-ms": "150.5", "retry-after": "20" })).retryAfterMs).toBe(150.5);
    expect(parseRateLimitHeaders(from({ "retry-after": "20" })).retryAfterMs).toBe(20_000);
    expect(parseRateLimitHeaders(from({ "retry-after": "0.5" })).retryAfterMs).toBe(500);
  });
});

describe("parseRetryAfter", () => {
  it("accepts an HTTP date relative to now, never negative", () => {
    const now = Date.parse("2026-01-01T00:00:00Z");
    expect(parseRetryAfter(from({ "retry-after": "Thu, 01 Jan 2026 00:00:30 GMT" }), now)).toBe(30_000);
    expect(parseRetryAfter(from({ "retry-after": "Wed, 31 Dec 2025 23:59:00 GMT" }), now)).toBe(0);
  });

  it("ignores negative and unparseable values", () => {
    expect(parseRetryAfter(from({ "retry-after-ms": "-5" }))).toBeUndefined();
    expect(parseRetryAfter(from({ "retry-after": "later" }))).toBeUndefined();
    expect(parseRetryAfter(from({}))).toBeUndefined();
  });
});
