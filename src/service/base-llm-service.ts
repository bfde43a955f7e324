/**
 * `BaseLLMService`: the base class for a program's own business methods. Subclasses call
 * `this.generate(…)`; the gates, retries, cost and metrics are the engine's own pieces
 * (`callLlm` through `runRecord`, the quotas, pricing, `MetricsRecorder`,
 * `SummaryBuilder`), shared by every call of one service, so concurrent calls are paced together.
 *
 *     class Tickets extends BaseLLMService {
 *       classify(text: string) { return this.generate({ prompt: `Classify: ${text}`, schema: LABEL }); }
 *     }
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { GenerateStep, Pipeline } from "../config/pipeline.js";
import { DEFAULT_CONCURRENCY, DEFAULT_MODEL } from "../config/run-options.js";
import { preparePipeline, runRecord } from "../engine/pipeline-runner.js";
import type { RetryTiming } from "../engine/retry.js";
import { createStepDeps } from "../engine/step-deps.js";
import type { StepDeps } from "../engine/steps/step.js";
import { resultError } from "../errors.js";
import { exitCodeFor } from "../exit-codes.js";
import { Quotas } from "../gates/quotas.js";
import { stopFor, stopText, type StopReason } from "../engine/stop-reason.js";
import { MetricsRecorder } from "../metrics/metrics-recorder.js";
import { SummaryBuilder, type RunSummary } from "../metrics/summary.js";
import { createProvider, providerSettings, type ProviderConnections } from "../providers/create.js";
import { loadPriceTable, type PriceTable } from "../providers/prices.js";
import { failedResult, type ChatMessage, type GenerationResult, type LlmParams, type Provider, type ProviderName } from "../types.js";

export interface LLMServiceOptions {
  /** Model for calls that name none: `gpt-4o-mini`, `ollama:llama3.2`. @default "gpt-4o-mini" */
  model?: string;
  /** Provider for model names without a prefix. @default "openai" */
  provider?: ProviderName;
  /** Where each provider lives (API key, base URL, Ollama host); the service reads no environment. @default {} */
  connections?: ProviderConnections;
  /** Your own providers (a custom backend, a test double); replaces `connections`. */
  providers?: (name: ProviderName) => Provider;
  /** Parameters for every call; a call's own `params` win. @default {} */
  params?: LlmParams;
  /** Calls in flight at once; further calls wait their turn in order. @default 16 */
  concurrency?: number;
  /** Client-side requests-per-minute gate. @default unlimited */
  rpm?: number;
  /** Client-side tokens-per-minute gate. @default unlimited */
  tpm?: number;
  /** Retries per call after the first attempt. @default 5 */
  maxRetries?: number;
  /** Per-attempt timeout. @default 120000 */
  timeoutMs?: number;
  /** @default base 500 ms, doubling, capped at 8 s */
  retryTiming?: RetryTiming;
  /** @default the bundled price table */
  prices?: PriceTable;
  /** Prefix of the request ids the service gives its calls (`req-1`, `req-2`, …). @default "req" */
  idPrefix?: string;
  /** Receives the final summary when the service closes (flush it to your metrics system). */
  onClose?(summary: RunSummary): void | Promise<void>;
  /** Human-readable warnings (a model without a price). @default ignored */
  onWarning?(message: string): void;
}

export interface GenerateRequest {
  /** The user message. Sent as written: no `{{…}}` templating. */
  prompt?: string;
  /** A system message sent first. */
  system?: string;
  /** A whole conversation instead of `prompt`. */
  messages?: ChatMessage[];
  /** @default the service's model */
  model?: string;
  params?: LlmParams;
  /** Structured output: the reply is parsed and validated, and `output` is the JSON value. */
  schema?: Record<string, unknown>;
  /** Re-asks after an invalid structured reply. @default 1 */
  repairAttempts?: number;
  /** Retries after the first attempt, for this call. @default the service's `maxRetries` */
  retries?: number;
  /** Names the call in `steps` and in the summary's `cost_by_step` (letters, digits, `_`, `-`). @default "generate" */
  name?: string;
}

export class BaseLLMService {
  /** One quota per thing a provider limits (an OpenAI model on an endpoint and key), shared by every call. */
  readonly quotas: Quotas;
  readonly metrics = new MetricsRecorder();
  readonly #opts: LLMServiceOptions;
  readonly #summary = new SummaryBuilder();
  readonly #limit: LimitFunction;
  readonly #providers = new Map<ProviderName, Provider>();
  readonly #stop = new AbortController();
  readonly #cancel = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #deps: StepDeps;
  #nextId = 0;
  #closed: Promise<RunSummary> | undefined;
  #stopReason: string | undefined;
  #stopped: StopReason | undefined;

  constructor(options: LLMServiceOptions = {}) {
    this.#opts = options;
    this.#limit = pLimit(options.concurrency ?? DEFAULT_CONCURRENCY);
    this.quotas = new Quotas({ limits: { rpm: options.rpm, tpm: options.tpm } });
    const warned = new Set<string>();
    this.#deps = createStepDeps({
      quotas: this.quotas,
      maxRetries: options.maxRetries,
      timeoutMs: options.timeoutMs,
      retryTiming: options.retryTiming,
      stop: this.#stop.signal,
      cancel: this.#cancel.signal,
      onReport: (report) => this.#halt(stopFor(report)),
      observer: this.metrics.attemptObserver(),
      prices: options.prices ?? loadPriceTable(),
      onUnpricedModel: (model) => {
        if (!warned.has(model)) options.onWarning?.(`no price known for model "${model}": its cost is reported as null`);
        warned.add(model);
      },
      provider: (name) => this.#provider(name),
    });
  }

  /** Why the service stopped sending (`fatal: auth: …`, `closed`), or undefined while it runs. */
  get stopReason(): string | undefined {
    return this.#stopReason;
  }

  /**
   * One LLM call through the service's gates, retries and concurrency limit. Never throws for a
   * failed call: the result carries `ok: false` and the error (see `mapResult`, `unwrap`).
   */
  protected async generate(request: GenerateRequest | string): Promise<GenerationResult> {
    const req = typeof request === "string" ? { prompt: request } : request;
    const n = ++this.#nextId;
    const id = `${this.#opts.idPrefix ?? "req"}-${n}`;
    if (this.#stopReason !== undefined) return this.#record(notAttempted(id, this.#stopReason));
    const task = this.#limit(() => this.#run(id, n, req));
    this.#inFlight.add(task);
    try {
      return this.#record(await task);
    } finally {
      this.#inFlight.delete(task);
    }
  }

  async #run(id: string, n: number, req: GenerateRequest): Promise<GenerationResult> {
    if (this.#stopReason !== undefined) return notAttempted(id, this.#stopReason);
    const messages: ChatMessage[] = [];
    if (req.system !== undefined) messages.push({ role: "system", content: req.system });
    messages.push(...(req.messages ?? []));
    if (req.prompt !== undefined) messages.push({ role: "user", content: req.prompt });
    // The request runs as a one-step pipeline whose step sends the record's own messages: the
    // same code path, results and costs as a `generate` step in a YAML pipeline.
    const step: GenerateStep = { id: req.name ?? "generate", method: "generate", params: req.params ?? {}, usesRecordMessages: true };
    if (req.schema !== undefined) step.schema = req.schema;
    if (req.repairAttempts !== undefined) step.repair_attempts = req.repairAttempts;
    if (req.retries !== undefined) step.retries = req.retries;
    const pipeline: Pipeline = { name: "service", params: this.#opts.params ?? {}, limits: {}, steps: [step], model: req.model ?? this.#opts.model ?? DEFAULT_MODEL };
    if (this.#opts.provider !== undefined) pipeline.provider = this.#opts.provider;
    try {
      const { result, notSent } = await runRecord(preparePipeline(pipeline), { id, line: n, messages, vars: {} }, this.#deps);
      return notSent && this.#stopReason !== undefined ? notAttempted(id, this.#stopReason) : result;
    } catch (err) {
      // A bad schema or model name is the caller's bug, but still one failed call, not a crash.
      return failedResult(id, resultError("bad_request", err instanceof Error ? err.message : String(err)));
    }
  }

  #record(result: GenerationResult): GenerationResult {
    this.#summary.add(result);
    this.metrics.recordResult(result);
    return result;
  }

  #provider(name: ProviderName): Provider {
    let p = this.#providers.get(name);
    if (p === undefined) {
      const settings = providerSettings(name, { name: "service", params: {}, limits: {}, steps: [] }, this.#opts.connections ?? {});
      p = this.#opts.providers?.(name) ?? createProvider(settings);
      this.#providers.set(name, p);
    }
    return p;
  }

  #halt(reason: StopReason | "closed"): void {
    if (this.#stopReason !== undefined) return;
    if (reason !== "closed") this.#stopped = reason;
    this.#stopReason = reason === "closed" ? reason : stopText(reason);
    this.#stop.abort(new Error(this.#stopReason));
  }

  /** The summary so far: the same fields as the CLI's `--summary` file. */
  summary(): RunSummary {
    return this.#summary.build({ exitCode: 0, stoppedReason: this.#stopReason ?? null, costUnknown: this.metrics.costUnknown });
  }

  /**
   * Graceful shutdown: new calls come back `not_attempted`, calls in flight finish (or, with
   * `cancel: true`, are cancelled), providers are closed, and `onClose` gets the final summary.
   * Calling it again returns the same summary.
   */
  close(options: { cancel?: boolean } = {}): Promise<RunSummary> {
    if (options.cancel) this.#cancel.abort(new Error("the service was closed"));
    this.#closed ??= (async () => {
      this.#halt("closed");
      await Promise.allSettled([...this.#inFlight]);
      await Promise.allSettled([...this.#providers.values()].map((p) => p.close?.()));
      const summary = this.#summary.build({ exitCode: 0, stoppedReason: this.#stopReason === "closed" ? null : (this.#stopReason ?? null), costUnknown: this.metrics.costUnknown });
      summary.exit_code = exitCodeFor(this.#stopped, summary);
      await this.#opts.onClose?.(summary);
      return summary;
    })();
    return this.#closed;
  }

  /** `await using service = new MyService(…)` closes it at the end of the block. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function notAttempted(id: string, reason: string): GenerationResult {
  return failedResult(id, resultError("not_attempted", `not attempted: ${reason}`));
}
