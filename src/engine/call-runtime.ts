/**
 * What the LLM calls of one run share at run level: the providers by name (Ollama's behind its
 * adaptive concurrency), the quotas, the retry policy, pricing, the budget, the stop, and the result
 * of a record left unsent after it. `GenerationEngine` and `BaseLLMService` both build theirs here,
 * so a call behaves the same whichever of them made it.
 */
import { getMaxListeners, setMaxListeners } from "node:events";
import { resultError } from "../errors.js";
import type { CallCache } from "../cache/response-cache.js";
import type { BudgetGate } from "../cost/budget-gate.js";
import type { QuotaStore } from "../gates/quota-store.js";
import { Quotas } from "../gates/quotas.js";
import type { PriceTable } from "../cost/prices.js";
import { queuesOnServer } from "../providers/registry.js";
import { failedResult, type GenerationResult, type Provider, type ProviderName } from "../types.js";
import { AdaptiveConcurrency, AdaptiveConcurrencyProvider } from "./adaptive-concurrency.js";
import type { AttemptObserver, BatchCalls } from "./llm-call.js";
import type { RetryTiming } from "./retry.js";
import { createStepDeps } from "./step-deps.js";
import type { StepDeps } from "./steps/step.js";
import { INTERRUPTED, stopFor, stopText, unsentType, type StopReason } from "./stop-reason.js";

/** A service's `close()`: admission stops, but the run did not stop early. */
export const CLOSED = "closed";

export interface CallRuntimeOptions {
  /** Returns the provider for a name; called once per name. */
  provider(name: ProviderName): Provider;
  prices: PriceTable;
  /** Requests in flight at most (the adaptive limit never exceeds it). */
  concurrency: number;
  /** See `EngineOptions.adaptiveConcurrency`. @default true */
  adaptiveConcurrency?: boolean | undefined;
  /** Client-side requests per minute, of each quota (ignored when `quotas` is given). */
  rpm?: number | undefined;
  /** Client-side tokens per minute, of each quota (ignored when `quotas` is given). */
  tpm?: number | undefined;
  /** Quotas shared with other runs or services in the process; they win over `rpm`/`tpm` and `quotaStore`. */
  quotas?: Quotas | undefined;
  /** Where this runtime's own quotas keep their buckets. @default a new in-memory store */
  quotaStore?: QuotaStore | undefined;
  budgetGate?: BudgetGate | undefined;
  /** The response cache every call looks up first (`openResponseCache`). */
  cache?: CallCache | undefined;
  maxRetries?: number | undefined;
  timeoutMs?: number | undefined;
  retryTiming?: RetryTiming | undefined;
  /** Aborting it stops admitting, as `interrupted`. */
  stopSignal?: AbortSignal | undefined;
  /** Aborting it cancels requests in flight. */
  cancelSignal?: AbortSignal | undefined;
  observer?: AttemptObserver | undefined;
  onUnpricedModel?: ((model: string) => void) | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** Hears the stop, once, when it happens (not a service's close). */
  onStop?: ((reason: StopReason) => void) | undefined;
  /** `--batch`: calls go through the provider's Batch API. */
  batch?: BatchCalls | undefined;
}

export class CallRuntime {
  readonly quotas: Quotas;
  readonly #opts: CallRuntimeOptions;
  readonly #providers = new Map<ProviderName, Provider>();
  readonly #stop = new AbortController();
  readonly #cancel: AbortSignal;
  /** A client-side limit is set: Ollama's concurrency is then the run's, not adaptive. */
  readonly #limited: boolean;
  #stopped: StopReason | undefined;
  /** `stopText` of the stop (or `closed`), once. */
  #stopReason: string | undefined;

  constructor(options: CallRuntimeOptions) {
    this.#opts = options;
    this.#cancel = options.cancelSignal ?? new AbortController().signal;
    this.quotas = options.quotas ?? new Quotas({ store: options.quotaStore, limits: { rpm: options.rpm, tpm: options.tpm } });
    this.#limited = this.quotas.limits.rpm !== undefined || this.quotas.limits.tpm !== undefined;
    if (options.stopSignal?.aborted) this.stop(INTERRUPTED);
    else options.stopSignal?.addEventListener("abort", () => this.stop(INTERRUPTED), { once: true });
  }

  /** The provider for `name`, created on first use. */
  provider(name: ProviderName): Provider {
    let p = this.#providers.get(name);
    if (!p) this.#providers.set(name, (p = this.#adapt(this.#opts.provider(name))));
    return p;
  }

  /** Ollama sends no rate-limit headers; with no limits set, concurrency follows its parallelism. */
  #adapt(provider: Provider): Provider {
    if (!queuesOnServer(provider) || this.#limited || this.#opts.adaptiveConcurrency === false) return provider;
    return new AdaptiveConcurrencyProvider(provider, new AdaptiveConcurrency(this.#opts.concurrency));
  }

  /** Aborted when admission stops. */
  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  /** Why admission stopped, in words (`fatal: …`, `interrupted`, `closed`), or undefined. */
  get stopReason(): string | undefined {
    return this.#stopReason;
  }

  /** Why the run stopped admitting early, as a value, or undefined (also after a service's close). */
  get stopped(): StopReason | undefined {
    return this.#stopped;
  }

  /**
   * Stops admitting new work; what is not yet sent comes out `budget_exceeded` after a budget stop,
   * else `not_attempted`. The first stop wins.
   */
  stop(reason: StopReason | typeof CLOSED): void {
    if (this.#stopReason !== undefined) return;
    if (reason === CLOSED) this.#stopReason = CLOSED;
    else {
      this.#stopped = reason;
      this.#stopReason = stopText(reason);
    }
    this.#stop.abort(new Error(this.#stopReason));
    if (reason !== CLOSED) this.#opts.onStop?.(reason);
  }

  /** The result of a record or call left unsent by the stop. */
  notAttempted(id: string): GenerationResult {
    const reason = this.#stopReason ?? "the run stopped";
    const type = this.#stopped === undefined ? "not_attempted" : unsentType(this.#stopped);
    return failedResult(id, resultError(type, `not attempted: ${reason}`));
  }

  /** What each step of each call needs: these quotas, providers, signals, pricing and budget. */
  stepDeps(): StepDeps {
    const o = this.#opts;
    const cancel = this.#cancel;
    // Every call in flight listens on both run signals (gate waits, retry sleeps, the request
    // itself) and removes its listener when done: up to a few per call, bounded by the concurrency.
    // Node warns about a leak past 10 listeners; the real bound is this one.
    const listeners = 10 + 3 * o.concurrency;
    setMaxListeners(listeners, this.#stop.signal);
    if (getMaxListeners(cancel) < listeners) setMaxListeners(listeners, cancel);
    return createStepDeps({
      quotas: this.quotas,
      maxRetries: o.maxRetries,
      timeoutMs: o.timeoutMs,
      retryTiming: o.retryTiming,
      stop: this.#stop.signal,
      cancel,
      // The call reports; the run decides: a fatal error or the budget refusing stops admission.
      onReport: (report) => this.stop(stopFor(report)),
      observer: o.observer,
      prices: o.prices,
      onUnpricedModel: o.onUnpricedModel,
      onWarning: o.onWarning,
      budgetGate: o.budgetGate,
      cache: o.cache,
      provider: (name) => this.provider(name),
      batch: o.batch,
    });
  }

  /** Closes every provider created so far. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#providers.values()].map((p) => p.close?.()));
  }
}
