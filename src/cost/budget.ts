/**
 * What an LLM call holds against `--max-cost`: the worst case of the attempt (prompt tokens as the
 * tokenizer counts them × input price + max output tokens × output price, nothing cached) before
 * it is sent, and what it was really charged once it is answered.
 */
import type { ProviderError } from "../errors.js";
import type { BudgetGate, BudgetHold } from "./budget-gate.js";
import type { RequestTokenEstimate } from "../tokens/token-estimate.js";
import { costOf, type ModelPrice } from "./prices.js";
import type { ProviderName, Usage } from "../types.js";
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
export async function holdBudget(ctx: BudgetContext, provider: ProviderName, model: string, estimate: RequestTokenEstimate, signal: AbortSignal): Promise<HeldBudget> {
  const price = ctx.priceOf(provider, model);
  if (price === undefined) throw new UnpricedUnderBudgetError(model);
  const { hold, waitedMs } = await ctx.gate.acquire(worstCaseUsd(price, estimate), signal);
  return { hold, price, waitedMs };
}

/**
 * Network failures that happen before the request reaches a server: nothing can have been charged.
 * Any other (a reset or a closed socket mid-request) may come after the server admitted the request
 * and counted it against the limit.
 */
const NEVER_SENT = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH", "EADDRNOTAVAIL"]);

export function neverSent(error: ProviderError): boolean {
  return error.type === "network" && error.code !== undefined && NEVER_SENT.has(error.code);
}

/**
 * A failed attempt whose bill is unknown: it carries no usage and no HTTP error status (OpenAI
 * bills no rejected request), yet it may have reached the server, which may have done the work:
 * a timeout, a cancel, a reset, a truncated body. Its cost is at most its worst case.
 */
export function billUnknown(error: ProviderError): boolean {
  return error.usage === undefined && !(error.status !== undefined && error.status >= 400) && !neverSent(error);
}

/**
 * Settles a hold. An answer charges its usage. A failed attempt charges the usage it carries (a
 * content filter stop is billed); one whose bill is unknown (`billUnknown`) keeps the whole hold,
 * so the budget stays an upper bound; any other (an HTTP error status, a connection refused)
 * charges nothing.
 */
export function settleBudget(ctx: BudgetContext, held: HeldBudget, outcome: { usage: Usage } | { error: ProviderError }): void {
  if ("usage" in outcome) return ctx.gate.settle(held.hold, costOf(held.price, outcome.usage) ?? 0);
  const { error } = outcome;
  if (error.usage) return ctx.gate.settle(held.hold, costOf(held.price, error.usage) ?? 0);
  ctx.gate.settle(held.hold, billUnknown(error) ? held.hold.usd : 0);
}
