/**
 * What every LLM call of one run (or one `BaseLLMService`) shares: the quotas, the retry policy, the
 * run's signals, pricing and the optional budget. Built here once, for the engine and the service
 * alike, so a call behaves the same whichever of them made it.
 */
import { DEFAULT_MAX_RETRIES, DEFAULT_TIMEOUT_MS } from "../config/run-options.js";
import type { CallCache } from "../cache/response-cache.js";
import type { BudgetGate } from "../cost/budget-gate.js";
import type { Quotas } from "../gates/quotas.js";
import type { PriceTable } from "../cost/prices.js";
import type { Provider, ProviderName } from "../types.js";
import type { AttemptObserver, BatchCalls, CallContext } from "./llm-call.js";
import type { CallReport } from "./stop-reason.js";
import { createPriceLookup, createPricing } from "../cost/pricing.js";
import { DEFAULT_RETRY_TIMING, type RetryTiming } from "./retry.js";
import type { StepDeps } from "./steps/step.js";

export interface StepDepsOptions {
  /** The run's quotas, one per thing a provider limits. */
  quotas: Quotas;
  /** @default 5 */
  maxRetries?: number | undefined;
  /** @default 120000 */
  timeoutMs?: number | undefined;
  /** @default DEFAULT_RETRY_TIMING */
  retryTiming?: RetryTiming | undefined;
  /** Aborted when nothing new may be sent. */
  stop: AbortSignal;
  /** Aborted to cancel requests in flight. */
  cancel: AbortSignal;
  /** Hears what a call reports (a fatal provider error, the budget refusing a request); the run decides whether it stops. */
  onReport(report: CallReport): void;
  observer?: AttemptObserver | undefined;
  prices: PriceTable;
  /** Hears each model without a price once. */
  onUnpricedModel?: ((model: string) => void) | undefined;
  /** `--max-cost`: each attempt holds its worst-case cost here. */
  budgetGate?: BudgetGate | undefined;
  provider(name: ProviderName): Provider;
  /** Hears each kind of warning about the records once (a line's own model replacing the run's). */
  onWarning?: ((message: string) => void) | undefined;
  /** `--cache`: the response cache every call looks up first. */
  cache?: CallCache | undefined;
  /** `--batch`: see `CallContext.batch`. */
  batch?: BatchCalls | undefined;
}

export function createStepDeps(o: StepDepsOptions): StepDeps {
  const priceOf = createPriceLookup(o.prices, o.onUnpricedModel);
  const call: CallContext = {
    quotas: o.quotas,
    maxRetries: o.maxRetries ?? DEFAULT_MAX_RETRIES,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    retryTiming: o.retryTiming ?? DEFAULT_RETRY_TIMING,
    stop: o.stop,
    cancel: o.cancel,
    report: o.onReport,
    observer: o.observer,
    priceOf,
  };
  if (o.batch) call.batch = o.batch;
  if (o.budgetGate) call.budget = { gate: o.budgetGate, priceOf };
  if (o.cache) call.cache = o.cache;
  const deps: StepDeps = { call, provider: o.provider, cost: createPricing(priceOf) };
  const { onWarning } = o;
  if (onWarning) {
    const warned = new Set<string>();
    deps.warnOnce = (key, message) => {
      if (warned.has(key)) return;
      warned.add(key);
      onWarning(message);
    };
  }
  return deps;
}
