import type { BatchEstimate, EstimateLine } from "../run/estimate.js";
import { groupDigits } from "../metrics/number-format.js";

/** The human form of an estimate, for `llmbatch estimate` and `run --dry-run`. */
export function formatEstimate(e: BatchEstimate, opts: { color?: boolean } = {}): string {
  const bold = (t: string) => (opts.color ? `\u001b[1m${t}\u001b[0m` : t);
  const n = groupDigits;
  const usd = (v: number | null) => (v === null ? "unpriced" : v === 0 ? "$0" : v < 0.01 ? `$${v.toFixed(6)}` : `$${v.toFixed(4)}`);
  const range = (c: EstimateLine["cost_usd"]) => `${usd(c.expected)} expected, ${usd(c.max)} at most`;
  const rows: [string, string][] = [
    ["records", `${n(e.records)}${e.invalid_records ? `  (${n(e.invalid_records)} invalid lines would not be sent)` : ""}`],
    ["calls", n(e.calls)],
    ["input tokens", `${n(e.input_tokens)} (counted with the model's tokenizer, as a run reserves them)`],
    ["output tokens", `${n(e.output_tokens_assumed)} assumed, ${n(e.output_tokens_max)} at most: ${e.assumptions.output}`],
    ["cost", `${range(e.cost_usd)}${e.unpriced_models.length ? `  · unpriced: ${e.unpriced_models.join(", ")}` : ""}`],
    ...(e.batch_cost_usd ? [["batch cost", `${range(e.batch_cost_usd)} at Batch API prices (--batch: answers within 24 h)`] as [string, string]] : []),
    ["time", e.assumptions.wall],
    ...Object.entries(e.by_model).map(([m, l]): [string, string] => [`model ${m}`, `${n(l.calls)} calls, ${n(l.input_tokens)} in, ${range(l.cost_usd)}`]),
    ...Object.entries(e.by_step).map(([s, l]): [string, string] => [`step ${s}`, `${n(l.calls)} calls, ${n(l.input_tokens)} in, ${range(l.cost_usd)}`]),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  return `${bold("llmbatch estimate (nothing was sent)")}\n${rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`).join("\n")}\n`;
}
