import { costOf, findPrice, type ModelPrice, type PriceTable } from "../providers/prices.js";
import type { ProviderName, Usage } from "../types.js";

/**
 * Cost of one response, looked up once per (provider, model): the price table is data, the
 * lookup (snapshot names, families) is the providers' rule, and the memo keeps it off the hot path.
 */
export function createPricing(table: PriceTable, onUnpriced?: (model: string) => void) {
  const memo = new Map<string, ModelPrice | undefined>();
  return (provider: ProviderName, model: string, usage: Usage): number | null => {
    const key = `${provider}\u0000${model}`;
    let price = memo.get(key);
    if (!memo.has(key)) {
      price = findPrice(table, model, provider);
      memo.set(key, price);
      if (!price) onUnpriced?.(model);
    }
    const cost = costOf(price, usage);
    // Per-token prices are tiny decimals; keep float noise (0.000043799999999999994) out of the output.
    return cost === null ? null : Math.round(cost * 1e12) / 1e12;
  };
}
