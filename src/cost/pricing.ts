import { costOf, findPrice, roundUsd, type ModelPrice, type PriceTable } from "./prices.js";
import type { ProviderName, Usage } from "../types.js";

/** The price of a (provider, model), looked up once: the table is data, the memo keeps it off the hot path. */
export type PriceLookup = (provider: ProviderName, model: string) => ModelPrice | undefined;

/** Memoised `findPrice`; `onUnpriced` hears each unknown model once. */
export function createPriceLookup(table: PriceTable, onUnpriced?: (model: string) => void): PriceLookup {
  const memo = new Map<string, ModelPrice | undefined>();
  return (provider, model) => {
    const key = `${provider}\u0000${model}`;
    if (memo.has(key)) return memo.get(key);
    const price = findPrice(table, model, provider);
    memo.set(key, price);
    if (!price) onUnpriced?.(model);
    return price;
  };
}

/** Cost of one response in USD, or null when its model has no price. */
export function createPricing(lookup: PriceLookup) {
  return (provider: ProviderName, model: string, usage: Usage): number | null => roundUsd(costOf(lookup(provider, model), usage));
}
