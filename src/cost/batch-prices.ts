/**
 * Batch API prices: the table's `batch_input`/`batch_output` where the source lists them, else half
 * the synchronous price (OpenAI bills batches at 50 % of the synchronous price, input and output,
 * https://platform.openai.com/docs/guides/batch). Cached input is halved the same way.
 */
import type { ModelPrice, PriceTable, TierPrice } from "./prices.js";

/** The table a `--batch` run prices its calls with: every model at its batch price. */
export function batchPriceTable(table: PriceTable): PriceTable {
  const models: Record<string, ModelPrice> = {};
  for (const [name, p] of Object.entries(table.models)) models[name] = batchPrice(p);
  return { ...table, models };
}

function batchPrice(p: ModelPrice): ModelPrice {
  const out: ModelPrice = { input: p.batch_input ?? p.input / 2, output: p.batch_output ?? p.output / 2 };
  if (p.cached_input !== undefined) out.cached_input = p.cached_input / 2;
  if (p.long_context !== undefined) out.long_context = { ...half(p.long_context), above_input_tokens: p.long_context.above_input_tokens };
  return out;
}

function half(t: TierPrice): TierPrice {
  const out: TierPrice = { input: t.input / 2, output: t.output / 2 };
  if (t.cached_input !== undefined) out.cached_input = t.cached_input / 2;
  return out;
}
