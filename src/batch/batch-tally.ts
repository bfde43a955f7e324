/**
 * What batch prices saved: each step's usage priced at the synchronous table, less what it cost at
 * batch prices. Steps of unpriced models add nothing.
 */
import { costOf, findPrice, roundUsdTotal, type PriceTable } from "../cost/prices.js";
import type { GenerationResult } from "../types.js";

export class BatchTally {
  readonly #sync: PriceTable;
  #saved = 0;
  #lines = 0;

  constructor(syncPrices: PriceTable) {
    this.#sync = syncPrices;
  }

  add(result: GenerationResult): void {
    for (const step of result.steps) {
      if (step.batch !== undefined) this.#lines++;
      if (step.usage === undefined || step.model === undefined || typeof step.cost_usd !== "number") continue;
      const sync = costOf(findPrice(this.#sync, step.model, result.provider ?? "openai"), step.usage);
      if (sync !== null) this.#saved += sync - step.cost_usd;
    }
  }

  /** USD saved against synchronous prices. */
  get savedUsd(): number {
    return roundUsdTotal(this.#saved);
  }

  /** Steps answered through a batch. */
  get answeredLines(): number {
    return this.#lines;
  }
}
