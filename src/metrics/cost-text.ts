/**
 * The run's cost in words, for the table on stderr and the HTML report: one rule for both. A model
 * without a price that answered makes the total unknown, so the text says which part is known
 * ("$0.0123 + unknown (unpriced: tiny 1,234 tokens)", or "unknown (…)" when nothing is priced),
 * never a bare "$0" for tokens that were billed.
 */
import { roundUsdTotal } from "../cost/prices.js";
import { groupDigits } from "./number-format.js";
import type { RunSummary } from "./summary.js";

export function formatUsd(v: number): string {
  if (v === 0) return "$0";
  return v < 0.01 ? `$${v.toFixed(6)}` : `$${v.toFixed(4)}`;
}

/** The priced models' costs, in the summary's (sorted) order. */
export function pricedCosts(s: Pick<RunSummary, "cost_by_model">): [string, number][] {
  return Object.entries(s.cost_by_model).filter((e): e is [string, number] => e[1] !== null);
}

export function describeCost(s: Pick<RunSummary, "cost_usd" | "cost_by_model" | "unpriced_models" | "usage_by_model">): string {
  if (s.cost_usd !== null) return formatUsd(s.cost_usd);
  const priced = pricedCosts(s);
  const tokens = (m: string) => (s.usage_by_model[m]?.input_tokens ?? 0) + (s.usage_by_model[m]?.output_tokens ?? 0);
  const unknown = `unknown (unpriced: ${s.unpriced_models.map((m) => `${m} ${groupDigits(tokens(m))} tokens`).join(", ")})`;
  if (priced.length === 0) return unknown;
  return `${formatUsd(roundUsdTotal(priced.reduce((sum, [, c]) => sum + c, 0)))} + ${unknown}`;
}

/** `--cache`: `12 hits, 3 misses · $0.0042 saved`, or undefined without the cache. */
export function describeCache(s: Pick<RunSummary, "cache">): string | undefined {
  const c = s.cache;
  if (c === null) return undefined;
  const saved = c.saved_usd === null ? "saved: unknown (a model has no price)" : `${formatUsd(c.saved_usd)} saved`;
  return `${groupDigits(c.hits)} hit${c.hits === 1 ? "" : "s"}, ${groupDigits(c.misses)} miss${c.misses === 1 ? "" : "es"} · ${saved}`;
}
