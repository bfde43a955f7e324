/**
 * `BaseLLMService`: the base class for a program's own business methods. Subclasses call
 * `this.generate(…)`; each call runs as a one-step pipeline through `runRecord` on a
 * `CallRuntime` built as the engine builds its own (providers, quotas, Ollama's adaptive
 * concurrency, retries, pricing, the halt and its not-attempted results), shared by every call of
 * one service, so concurrent calls are paced together. Pass `quotas` (`new Quotas(…)`, or
 * another service's `quotas`) to share them with a pipeline run or another service in the process.
 *
 *     class Tickets extends BaseLLMService {
 *       classify(text: string) { return this.generate({ prompt: `Classify: ${text}`, schema: LABEL }); }
 *     }
 */
import pLimit, { type LimitFunction } from "p-limit";
import type { GenerateStep, Pipeline } from "../config/pipeline.js";
import { DEFAULT_CONCURRENCY } from "../config/run-options.js";
import { DEFAULT_MODEL } from "../providers/detect.js";
import { preparePipeline, runRecord } from "../engine/pipeline-runner.js";
import type { RetryTiming } from "../engine/retry.js";
import { CallRuntime } from "../engine/call-runtime.js";
import type { StepDeps } from "../engine/steps/step.js";
import { resultError } from "../errors.js";
import { exitCodeFor } from "../run/exit-codes.js";
import type { Quotas } from "../gates/quotas.js";
import type { QuotaStore } from "../gates/quota-store.js";
import { quotaFigures, quotaStoreSummary } from "../metrics/quota-figures.js";
import { CLOSED } from "../engine/call-runtime.js";
import { MetricsRecorder } from "../metrics/metrics-recorder.js";
import { SummaryBuilder, type RunSummary } from "../metrics/summary.js";
import { createProvider, providerSettings, type ProviderConnections } from "../providers/create.js";
import { loadPriceTable, type PriceTable } from "../cost/prices.js";
import { openResponseCache, resolveCacheOptions, type CacheSetting } from "../cache/cache-options.js";
import type { ResponseCache } from "../cache/response-cache.js";
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
  /**
   * For Ollama with no `rpm`/`tpm` (and no limit on shared `quotas`): start at 1 request in flight
   * and grow to the server's parallelism, never above `concurrency`, as a pipeline run does.
   * @default true
   */
  adaptiveConcurrency?: boolean;
  /** Client-side requests per minute, of each quota (ignored when `quotas` is given). @default unlimited */
  rpm?: number;
  /** Client-side tokens per minute, of each quota (ignored when `quotas` is given). @default unlimited */
  tpm?: number;
  /**
   * Quotas shared with a pipeline run (`runPipeline(…, { quotas })`) or another service in the
   * process (`new Quotas({ limits: { rpm, tpm } })`, or `service.quotas`): calls that spend the same
   * quota (the same model of one endpoint and key) are paced together, against one limit.
   * @default the service's own, from `rpm`/`tpm`
   */
  quotas?: Quotas;
  /**
   * Where the service's own quotas keep their buckets (ignored when `quotas` is given): a store
   * shared across processes, `await openRedisQuotaStore({ url: "redis://…" })`, makes services in
   * several processes (and `llmbatch run --redis` with the same URL) spend one limit together.
   * The service does not close it: close it after `close()`. @default in this process's memory
   */
  quotaStore?: QuotaStore;
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
  /**
   * The response cache: `true` (in `~/.cache/llmbatch`, 2 GB) or `{dir, maxSize, ttl}`. A call sent
   * before is answered from it: no request, no cost, `cached: true` on its step. Opened on the first
   * call, closed by `close()`; one that cannot be opened is a warning and calls go to the provider.
   * @default false
   */
  cache?: CacheSetting;
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
  /** One quota per thing a provider limits (an OpenAI model on an endpoint and key), shared by every call; give it to a pipeline run to share it. */
  readonly quotas: Quotas;
  readonly metrics = new MetricsRecorder();
  readonly #opts: LLMServiceOptions;
  readonly #summary = new SummaryBuilder();
  readonly #limit: LimitFunction;
  readonly #runtime: CallRuntime;
  readonly #cancel = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();
  readonly #deps: StepDeps;
  #nextId = 0;
  #closed: Promise<RunSummary> | undefined;
  /** Opened on the first call (the options are checked in the constructor). */
  #cache: Promise<ResponseCache | undefined> | undefined;
  readonly #cacheOptions: ReturnType<typeof resolveCacheOptions>;

  constructor(options: LLMServiceOptions = {}) {
    this.#opts = options;
    this.#cacheOptions = resolveCacheOptions(options.cache);
    const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#limit = pLimit(concurrency);
    const warned = new Set<string>();
    const connections = options.connections ?? {};
    this.#runtime = new CallRuntime({
      provider: options.providers ?? ((name) => createProvider(providerSettings(name, { name: "service", params: {}, limits: {}, steps: [] }, connections))),
      prices: options.prices ?? loadPriceTable(),
      concurrency,
      adaptiveConcurrency: options.adaptiveConcurrency,
      rpm: options.rpm,
      tpm: options.tpm,
      quotas: options.quotas,
      quotaStore: options.quotaStore,
      maxRetries: options.maxRetries,
      timeoutMs: options.timeoutMs,
      retryTiming: options.retryTiming,
      cancelSignal: this.#cancel.signal,
      observer: this.metrics.attemptObserver(),
      onUnpricedModel: (model) => {
        if (!warned.has(model)) options.onWarning?.(`no price known for model "${model}": its cost is reported as null`);
        warned.add(model);
      },
    });
    this.quotas = this.#runtime.quotas;
    this.#deps = this.#runtime.stepDeps();
  }

  /** Why the service stopped sending (`fatal: auth: …`, `closed`), or undefined while it runs. */
  get stopReason(): string | undefined {
    return this.#runtime.stopReason;
  }

  /**
   * One LLM call through the service's quotas, retries and concurrency limit. Never throws for a
   * failed call: the result carries `ok: false` and the error (see `mapResult`, `unwrap`).
   */
  protected async generate(request: GenerateRequest | string): Promise<GenerationResult> {
    const req = typeof request === "string" ? { prompt: request } : request;
    const n = ++this.#nextId;
    const id = `${this.#opts.idPrefix ?? "req"}-${n}`;
    if (this.stopReason !== undefined) return this.#record(this.#runtime.notAttempted(id));
    const task = this.#limit(() => this.#run(id, n, req));
    this.#inFlight.add(task);
    try {
      return this.#record(await task);
    } finally {
      this.#inFlight.delete(task);
    }
  }

  async #run(id: string, n: number, req: GenerateRequest): Promise<GenerationResult> {
    if (this.stopReason !== undefined) return this.#runtime.notAttempted(id);
    if (this.#cacheOptions !== undefined) await this.#openCache(this.#cacheOptions);
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
      return notSent && this.stopReason !== undefined ? this.#runtime.notAttempted(id) : result;
    } catch (err) {
      // A bad schema or model name is the caller's bug, but still one failed call, not a crash.
      return failedResult(id, resultError("bad_request", err instanceof Error ? err.message : String(err)));
    }
  }

  /** Opens the cache once and hands it to every later call. */
  async #openCache(options: NonNullable<ReturnType<typeof resolveCacheOptions>>): Promise<void> {
    const cache = await (this.#cache ??= openResponseCache(options, this.#opts.onWarning));
    if (cache) this.#deps.call.cache = cache;
  }

  /** The summary's `cache` figures, when the cache is open. */
  async #cacheCounts(): Promise<{ hits: number; misses: number } | null> {
    const cache = await this.#cache;
    return cache ? { hits: cache.hits, misses: cache.misses } : null;
  }

  #record(result: GenerationResult): GenerationResult {
    this.#summary.add(result);
    this.metrics.recordResult(result);
    return result;
  }

  /** The summary so far: the same fields as the CLI's `--summary` file. */
  summary(): RunSummary {
    return this.#summary.build({ exitCode: 0, stoppedReason: this.stopReason ?? null, costUnknown: this.metrics.costUnknown });
  }

  /**
   * Graceful shutdown: new calls come back `not_attempted`, calls in flight finish (or, with
   * `cancel: true`, are cancelled), providers are closed, and `onClose` gets the final summary.
   * Calling it again returns the same summary.
   */
  close(options: { cancel?: boolean } = {}): Promise<RunSummary> {
    if (options.cancel) this.#cancel.abort(new Error("the service was closed"));
    this.#closed ??= (async () => {
      this.#runtime.stop(CLOSED);
      await Promise.allSettled([...this.#inFlight]);
      const cache = await this.#cacheCounts();
      await (await this.#cache)?.close();
      const summary = this.#summary.build({
        exitCode: 0,
        cache,
        stoppedReason: this.stopReason === CLOSED ? null : (this.stopReason ?? null),
        costUnknown: this.metrics.costUnknown,
        quotas: quotaFigures(this.quotas),
        quotaStore: quotaStoreSummary(this.quotas.store),
      });
      summary.exit_code = exitCodeFor(this.#runtime.stopped, summary);
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
