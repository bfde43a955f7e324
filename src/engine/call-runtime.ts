/**
 * What the LLM calls of one run share at run level: the providers by name (Ollama's behind its
 * adaptive concurrency), the gates, the retry policy, pricing, the budget, the halt, and the result
 * of a record left unsent after it. `GenerationEngine` and `BaseLLMService` both build theirs here,
 * so a call behaves the same whichever of them made it.
 */
import { getMaxListeners, setMaxListeners } from "node:events";
import { resultError } from "../errors.js";
import type { BudgetGate } from "../gates/budget-gate.js";
import { createRunGates, type RunGates } from "../gates/run-gates.js";
import type { PriceTable } from "../providers/prices.js";
import { queuesOnServer } from "../providers/registry.js";
import { failedResult, type GenerationResult, type Provider, type ProviderName } from "../types.js";
import { AdaptiveConcurrency, AdaptiveConcurrencyProvider } from "./adaptive-concurrency.js";
import type { AttemptObserver } from "./llm-call.js";
import type { RetryTiming } from "./retry.js";
import { createStepDeps } from "./step-deps.js";
import type { StepDeps } from "./steps/step.js";

/** What records left unsent by a stop come out as. */
export type StopType = "not_attempted" | "budget_exceeded";

export interface CallRuntimeOptions {
  /** Returns the provider for a name; called once per name. */
  provider(name: ProviderName): Provider;
  prices: PriceTable;
  /** Requests in flight at most (the adaptive limit never exceeds it). */
  concurrency: number;
  /** See `EngineOptions.adaptiveConcurrency`. @default true */
  adaptiveConcurrency?: boolean | undefined;
  /** Client-side requests-per-minute gate (ignored when `gates.rpm` is given). */
  rpm?: number | undefined;
  /** Client-side tokens-per-minute gate (ignored when `gates.tpm` is given). */
  tpm?: number | undefined;
  /** Gates shared with other runs or services; the missing ones are built from `rpm`/`tpm`. */
  gates?: Partial<RunGates> | undefined;
  budgetGate?: BudgetGate | undefined;
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
  /** Hears the stop, once, when it happens. */
  onStop?: ((reason: string) => void) | undefined;
}

export class CallRuntime {
  readonly gates: RunGates;
  readonly #opts: CallRuntimeOptions;
  readonly #providers = new Map<ProviderName, Provider>();
  readonly #stop = new AbortController();
  readonly #cancel: AbortSignal;
  /** A client-side limit is set: Ollama's concurrency is then the run's, not adaptive. */
  readonly #limited: boolean;
  #stopReason: string | undefined;
  #stopType: StopType = "not_attempted";

  constructor(options: CallRuntimeOptions) {
    this.#opts = options;
    this.#cancel = options.cancelSignal ?? new AbortController().signal;
    const built = createRunGates({ rpm: options.rpm, tpm: options.tpm });
    this.gates = { rpm: options.gates?.rpm ?? built.rpm, tpm: options.gates?.tpm ?? built.tpm };
    const shared = options.gates;
    this.#limited = options.rpm !== undefined || options.tpm !== undefined || shared?.rpm?.limit !== undefined || shared?.tpm?.limit !== undefined;
    if (options.stopSignal?.aborted) this.stop("interrupted");
    else options.stopSignal?.addEventListener("abort", () => this.stop("interrupted"), { once: true });
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

  /** Why admission stopped (`fatal: …`, `interrupted`), or undefined. */
  get stopReason(): string | undefined {
    return this.#stopReason;
  }

  /** Stops admitting new work; what is not yet sent comes out as `type` (`not_attempted` by default). */
  stop(reason: string, type: StopType = "not_attempted"): void {
    if (this.#stopReason !== undefined) return;
    this.#stopReason = reason;
    this.#stopType = type;
    this.#stop.abort(new Error(reason));
    this.#opts.onStop?.(reason);
  }

  /** The result of a record or call left unsent by the stop. */
  notAttempted(id: string): GenerationResult {
    const reason = this.#stopReason ?? "the run stopped";
    return failedResult(id, resultError(this.#stopType, `not attempted: ${reason}`));
  }

  /** What each step of each call needs: these gates, providers, signals, pricing and budget. */
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
      rpmGate: this.gates.rpm,
      tpmGate: this.gates.tpm,
      maxRetries: o.maxRetries,
      timeoutMs: o.timeoutMs,
      retryTiming: o.retryTiming,
      stop: this.#stop.signal,
      cancel,
      halt: (reason, type) => this.stop(reason, type),
      observer: o.observer,
      prices: o.prices,
      onUnpricedModel: o.onUnpricedModel,
      onWarning: o.onWarning,
      budgetGate: o.budgetGate,
      provider: (name) => this.provider(name),
    });
  }

  /** Closes every provider created so far. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#providers.values()].map((p) => p.close?.()));
  }
}
