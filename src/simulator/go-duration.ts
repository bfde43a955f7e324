/**
 * Go's `time.Duration.String()` format, which OpenAI uses in `x-ratelimit-reset-*`
 * (`1s`, `6m0s`, `547ms`, `2m52.8s`, `1h2m3.5s`). Clients parse these, so the shape
 * must match Go's: sub-second values use the largest fitting unit (ms/µs/ns), anything
 * from 1s up is `[h]…[m]…s` with trailing zeros of the fraction removed.
 * Precision is capped (µs below 1s, ms above) because nothing finer is meaningful here.
 */
export function formatGoDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return "0s";
  let ns = Math.round(ms * 1e6);
  if (ns === 0) return "0s";
  if (ns < 1_000) return `${ns}ns`;
  // Round before choosing the unit so 999.9996ms becomes "1s", not "1000ms".
  ns = Math.round(ns / 1_000) * 1_000;
  if (ns < 1_000_000) return `${trimFraction(ns / 1_000)}µs`;
  if (ns < 1_000_000_000) return `${trimFraction(ns / 1_000_000)}ms`;

  // Whole milliseconds: integer arithmetic cannot produce "1m60s".
  const totalMs = Math.round(ns / 1e6);
  const hours = Math.floor(totalMs / 3_600_000);
  const minutes = Math.floor((totalMs % 3_600_000) / 60_000);
  const secondsText = `${trimFraction((totalMs % 60_000) / 1000)}s`;
  if (hours > 0) return `${hours}h${minutes}m${secondsText}`;
  if (minutes > 0) return `${minutes}m${secondsText}`;
  return secondsText;
}

/** Three decimals at most, trailing zeros dropped, so float noise never shows. */
function trimFraction(value: number): string {
  return value.toFixed(3).replace(/\.?0+$/, "");
}
