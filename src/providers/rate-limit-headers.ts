/**
 * Parsing of OpenAI's rate-limit response headers (`x-ratelimit-*`, OpenAI's rate-limits guide,
 * platform.openai.com/docs/guides/rate-limits) into `RateLimitInfo`.
 * Pure functions over a header getter, so they work on a fetch `Headers`, a Node
 * `IncomingHttpHeaders` or a test table alike.
 */
import type { RateLimitInfo } from "../types.js";

/** Reads one header by lower-case name; `null` when absent (the `Headers.get` contract). */
export type HeaderGetter = (name: string) => string | null;

// Go's time.Duration units in milliseconds. Both micro signs occur in the wild
// (U+00B5 MICRO SIGN is what Go prints, U+03BC GREEK MU is what people type).
const UNIT_MS: Readonly<Record<string, number>> = {
  h: 3_600_000,
  m: 60_000,
  s: 1_000,
  ms: 1,
  us: 1e-3,
  µs: 1e-3,
  μs: 1e-3,
  ns: 1e-6,
};

// One `<number><unit>` group. `ms` and the micro units are listed before `m`/`s` so the
// alternation never reads "5ms" as five minutes followed by a stray "s".
const GROUP = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|μs|ns|h|m|s)/y;

/**
 * Parses a Go duration string (`1s`, `6m0s`, `547ms`, `2m52.8s`, `1h2m3.5s`, `0`) to milliseconds.
 * Returns `undefined` for anything else, including negatives: a reset time in the past or a
 * malformed value should look like "no hint", not like "wait 0 ms".
 */
export function parseGoDuration(s: string): number | undefined {
  const text = s.trim();
  if (text === "0") return 0;
  if (text === "") return undefined;
  let total = 0;
  GROUP.lastIndex = 0;
  while (GROUP.lastIndex < text.length) {
    const m = GROUP.exec(text);
    if (!m) return undefined;
    total += Number(m[1]) * UNIT_MS[m[2]!]!;
  }
  // Round to whole nanoseconds so "33.023s" is 33023, not 33022.999999999996.
  return Number.isFinite(total) ? Math.round(total * 1e6) / 1e6 : undefined;
}

/** A non-negative number, or undefined for absent/garbage values. */
function nonNegative(value: string | null): number | undefined {
  if (value === null || value.trim() === "") return undefined;
  const n = Number(value);
  return Number.isFinite(n) && n >= 0 ? n : undefined;
}

/**
 * Reads the server's wait hint: `retry-after-ms` (float ms, Azure/OpenAI-compatible proxies) first,
 * then `retry-after` as float seconds or an HTTP date; the same order openai-node uses (`retryRequest` in its `src/client.ts`).
 */
export function parseRetryAfter(get: HeaderGetter, now: number = Date.now()): number | undefined {
  const ms = nonNegative(get("retry-after-ms"));
  if (ms !== undefined) return ms;
  const raw = get("retry-after");
  if (raw === null) return undefined;
  const seconds = nonNegative(raw);
  if (seconds !== undefined) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Collects the six `x-ratelimit-*` headers plus the retry-after hint. Absent or unparseable headers
 * leave their field undefined; unknown variants (`…-tokens_usage_based`) are ignored.
 */
export function parseRateLimitHeaders(get: HeaderGetter): RateLimitInfo {
  const resetRequests = get("x-ratelimit-reset-requests");
  const resetTokens = get("x-ratelimit-reset-tokens");
  const fields: RateLimitInfo = {
    limitRequests: nonNegative(get("x-ratelimit-limit-requests")),
    limitTokens: nonNegative(get("x-ratelimit-limit-tokens")),
    remainingRequests: nonNegative(get("x-ratelimit-remaining-requests")),
    remainingTokens: nonNegative(get("x-ratelimit-remaining-tokens")),
    resetRequestsMs: resetRequests === null ? undefined : parseGoDuration(resetRequests),
    resetTokensMs: resetTokens === null ? undefined : parseGoDuration(resetTokens),
    retryAfterMs: parseRetryAfter(get),
  };
  // Drop undefined keys so the object serialises (and compares in tests) as only what was sent.
  const info: RateLimitInfo = {};
  for (const [k, v] of Object.entries(fields) as [keyof RateLimitInfo, number | undefined][]) {
    if (v !== undefined) info[k] = v;
  }
  return info;
}

/** True when at least one field was present: lets callers skip attaching an empty object. */
export function hasRateLimitInfo(info: RateLimitInfo): boolean {
  return Object.keys(info).length > 0;
}
