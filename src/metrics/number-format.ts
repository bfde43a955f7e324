/**
 * `1234567.891` → `"1,234,567.891"`: what `toLocaleString("en-US")` prints (at most 3 decimals,
 * trailing zeros dropped), without it. The first `toLocaleString` call of a process pages in ICU's
 * locale data and number formatter, about 7 MB of resident memory, for a summary table.
 */
export function groupDigits(v: number, maxFractionDigits = 3): string {
  if (!Number.isFinite(v)) return String(v);
  const scale = 10 ** maxFractionDigits;
  const rounded = Math.round(Math.abs(v) * scale) / scale;
  const [int = "0", frac] = rounded.toFixed(maxFractionDigits).split(".");
  const grouped = int.replace(/\B(?=(\d{3})+$)/g, ",");
  const decimals = frac?.replace(/0+$/, "") ?? "";
  const sign = v < 0 ? "-" : "";
  return `${sign}${grouped}${decimals ? `.${decimals}` : ""}`;
}
