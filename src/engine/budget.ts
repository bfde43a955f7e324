/**
 * What an LLM call holds against `--max-cost`: the worst case of the attempt (prompt tokens as the
 * tokenizer counts them × input price + max output tokens × output price, nothing cached) before
 * it is sent, and what it was really charged once it is answered.
 */
import type { ProviderError } from "../errors.js";
import type { BudgetGate, BudgetHold } from "../gates/budget-gate.js";
import type { RequestTokenEstimate } from "../gates/token-estimate.js";
import { costOf, type ModelPrice } from "../providers/prices.js";
import type { LlmRequest, ProviderName, Usage } from "../types.js";
import type { PriceLookup } from "./pricing.js";

export interface BudgetContext {
  gate: BudgetGate;
  priceOf: PriceLookup;
}

export interface HeldBudget {
  hold: BudgetHold;
  price: ModelPrice;
  waitedMs: number;
}

/** A model without a price under `--max-cost`: its cost cannot be bounded, so it is not sent. */
export class UnpricedUnderBudgetError extends Error {
  constructor(model: string) {
    super(`model "${model}" has no price, so --max-cost cannot bound its cost; add it with --prices or the pipeline's prices:`);
    this.name = "UnpricedUnderBudgetError";
  }
}

export function worstCaseUsd(price: ModelPrice, estimate: RequestTokenEstimate): number {
  return costOf(price, { input_tokens: estimate.prompt, output_tokens: estimate.maxOutput, cached_tokens: 0 }) ?? 0;
}

/** Waits for the budget to hold this attempt's worst case; rejects with `BudgetExceededError` when it never will. */
export async function holdBudget(
  ctx: BudgetContext,
  provider: ProviderName,
  request: LlmRequest,
  estimate: RequestTokenEstimate,
  signal: AbortSignal,
): Promise<HeldBudget> {
  const price = ctx.priceOf(provider, request.model);
  if (price === undefined) throw new UnpricedUnderBudgetError(request.model);
  const { hold, waitedMs } = await ctx.gate.acquire(worstCaseUsd(price, estimate), signal);
  return { hold, price, waitedMs };
}

/**
 * Settles a hold. An answer charges its usage. A failed attempt charges the usage it carries (a
 * content filter stop is billed); an HTTP error status charges nothing (OpenAI bills no rejected
 * request); a failure where the server may have done the work (timeout, reset, truncated body)
 * keeps the whole hold, since the bill is unknown and the budget must stay an upper bound.
 */
export function settleBudget(ctx: BudgetContext, held: HeldBudget, outcome: { usage: Usage } | { error: ProviderError }): void {
  if ("usage" in outcome) return ctx.gate.settle(held.hold, costOf(held.price, outcome.usage) ?? 0);
  const { error } = outcome;
  if (error.usage) return ctx.gate.settle(held.hold, costOf(held.price, error.usage) ?? 0);
  ctx.gate.settle(held.hold, error.status !== undefined && error.status >= 400 ? 0 : held.hold.usd);
}
