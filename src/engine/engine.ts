import pLimit from "p-limit";
import type { Pipeline } from "../config/pipeline.js";
import { resultError } from "../errors.js";
import type { CallCache } from "../cache/response-cache.js";
import type { BudgetGate } from "../cost/budget-gate.js";
import type { QuotaStore } from "../gates/quota-store.js";
import type { Quotas } from "../gates/quotas.js";
import { OrderedBuffer } from "../io/ordered-buffer.js";
import type { PriceTable } from "../cost/prices.js";
import { failedResult, type GenerationResult, type InputRecord, type InvalidRecord, type Provider, type ProviderName, type ReadItem } from "../types.js";
import { CallRuntime } from "./call-runtime.js";
import type { AttemptObserver, BatchCalls } from "./llm-call.js";
import { preparePipeline, runRecord, type PreparedPipeline, type RecordOutcome } from "./pipeline-runner.js";
import type { StepDeps } from "./steps/step.js";
import type { RetryTiming } from "./retry.js";
import { Slots, ResultQueue } from "./flow-control.js";
import { ErrorLimit, type MaxErrors } from "./error-limit.js";
import { DEFAULT_CONCURRENCY } from "../config/run-options.js";
import type { StopReason } from "./stop-reason.js";

export interface EngineOptions {
  pipeline: Pipeline;
  /** Returns the provider for a name; called once per name. */
  provider(name: ProviderName): Provider;
  prices: PriceTable;
  /** Requests in flight. @default 16 */
  concurrency?: number;
  /**
   * For Ollama with no `rpm`/`tpm`: start at 1 request in flight and grow to the server's
   * parallelism (see `adaptive-concurrency.ts`), never above `concurrency`.
   * @default true
   */
  adaptiveConcurrency?: boolean;
  /** Client-side requests per minute, of each quota (each model of an OpenAI-style endpoint). */
  rpm?: number;
  /** Client-side tokens per minute, of each quota. */
  tpm?: number;
  /**
   * Where the quotas' buckets live (the seam a store shared across processes plugs into).
   * @default a new in-memory store
   */
  quotaStore?: QuotaStore;
  /**
   * Quotas shared with other runs or a `BaseLLMService` in the process, so their calls are paced
   * together; they win over `rpm`/`tpm` and `quotaStore`.
   */
  quotas?: Quotas;
  /** `--max-cost`: every attempt holds its worst-case cost here; when it refuses one, admission stops. */
  budgetGate?: BudgetGate;
  /**
   * The response cache (`openResponseCache`): every call looks it up first, and a hit sends nothing,
   * reserves nothing and costs 0. The caller opens and closes it.
   */
  cache?: CallCache;
  /** Retries per LLM call after the first attempt. @default 5 */
  maxRetries?: number;
  /** Per-request timeout. @default 120000 */
  timeoutMs?: number;
  retryTiming?: RetryTiming;
  /** Yield results in input order (bounded reorder buffer) instead of completion order. @default false */
  ordered?: boolean;
  /** Copy each record's fields into `result.input`. @default false */
  includeInput?: boolean;
  /** Aborting it stops admitting new records; in-flight ones finish. */
  stopSignal?: AbortSignal;
  /** Aborting it cancels requests in flight. */
  cancelSignal?: AbortSignal;
  observer?: AttemptObserver;
  /** Called once per model that has no price. */
  onUnpricedModel?(model: string): void;
  /** Warnings about the records, each kind said once (a line's own model replacing the run's). */
  onWarning?(message: string): void;
  /** Name of the input, used in invalid-input messages. */
  inputName?: string;
  /**
   * Stop admitting (the rest come out `not_attempted`) once this many records failed for good
   * (see `ErrorLimit`). @default undefined (no limit)
   */
  maxErrors?: MaxErrors;
  /** Hears the run stop admitting, once, when it does (to note what was in flight then). */
  onStop?(reason: StopReason): void;
  /** The batch backend's view of the run (`--batch`): see `RecordFlow`. */
  flow?: RecordFlow;
  /** `--batch`: every call is a line in a provider batch (see `CallContext.batch`). */
  batch?: BatchCalls;
}

/**
 * What a backend that gathers calls (the Batch API) needs to know of the engine: each record's
 * pipeline runs inside `run`, and `update` hears how many records are started and not finished,
 * and whether the input is read to its end (no record will start after those).
 */
export interface RecordFlow {
  run<T>(recordId: string, fn: () => Promise<T>): Promise<T>;
  update(running: number, inputDone: boolean): void;
}

/**
 * Runs records through the pipeline with bounded concurrency and streams their results.
 * Composes gates, providers and the pipeline runner; holds no provider wire knowledge.
 */
export class GenerationEngine {
  /** One quota per thing a provider limits (an OpenAI model on an endpoint and key, an Ollama server). */
  readonly quotas: Quotas;
  readonly #opts: EngineOptions;
  readonly #prepared: PreparedPipeline;
  readonly #runtime: CallRuntime;
  /** Set by `abandon`: the rest of the input is not read. */
  #abandoned = false;

  readonly #concurrency: number;

  constructor(options: EngineOptions) {
    this.#opts = options;
    this.#concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
    this.#prepared = preparePipeline(options.pipeline);
    this.#runtime = new CallRuntime({ ...options, concurrency: this.#concurrency });
    this.quotas = this.#runtime.quotas;
    // Create every provider the pipeline needs now, so a missing key or bad URL fails before anything is sent.
    for (const name of this.#prepared.providers) this.#runtime.provider(name);
  }

  /** Why the run stopped admitting early, in words (`fatal: …`, `interrupted`), or undefined. */
  get stopReason(): string | undefined {
    return this.#runtime.stopReason;
  }

  /** Why the run stopped admitting early, as a value, or undefined. */
  get stopped(): StopReason | undefined {
    return this.#runtime.stopped;
  }

  /** Aborted when the run stops admitting (interrupt, fatal error, budget, --max-errors). */
  get stopSignal(): AbortSignal {
    return this.#runtime.stopSignal;
  }

  /** The provider of `name` (created when the engine was). */
  provider(name: ProviderName): Provider {
    return this.#runtime.provider(name);
  }

  /** Every provider the pipeline calls. */
  get providerNames(): readonly ProviderName[] {
    return this.#prepared.providers;
  }

  /** Stops admitting new records; records not yet sent come out `budget_exceeded` after a budget stop, else `not_attempted`. */
  stop(reason: StopReason): void {
    this.#runtime.stop(reason);
  }

  /**
   * Stops admitting and stops reading the input, because nobody takes the results any more (the
   * output closed, as with `| head`). The records already started still end and yield their
   * results, so what their requests cost can be counted; the rest of the input yields nothing.
   */
  abandon(reason: StopReason): void {
    this.#abandoned = true;
    this.stop(reason);
  }

  /** Accepts any (async) iterable of records or reader items; yields one result per item. */
  async *run(items: AsyncIterable<ReadItem | InputRecord> | Iterable<ReadItem | InputRecord>): AsyncGenerator<GenerationResult> {
    const concurrency = this.#concurrency;
    const limit = pLimit(concurrency);
    // Records between the reader and the consumer: in flight plus finished but not yet taken. A
    // slot is freed only once the consumer has taken the result (written it), so a crash can lose
    // at most `concurrency` answered-but-unwritten results: what a resume pays for twice.
    // Input order needs more room so one slow record does not stall the rest.
    const slots = new Slots(this.#opts.ordered ? concurrency * 8 : concurrency);
    const queue = new ResultQueue<{ seq: number; result: GenerationResult }>();
    const deps = this.#runtime.stepDeps();
    const errorLimit = this.#opts.maxErrors ? new ErrorLimit(this.#opts.maxErrors) : undefined;
    let consumerGone = false;
    const finish = (seq: number, result: GenerationResult) => {
      const limitReached = errorLimit?.add(result);
      if (limitReached) this.stop({ kind: "max_errors", message: limitReached });
      queue.push({ seq, result });
    };

    const flow = this.#opts.flow;
    const produce = async () => {
      let inputDone = false;
      const active = new ActiveCount(flow === undefined ? undefined : (n) => flow.update(n, inputDone));
      let seq = 0;
      try {
        // After a stop (fatal error, interrupt, --max-errors, budget) the rest of the input is still read,
        // without sending anything, so every record gets its line and the summary an exact count;
        // after `abandon` (nobody takes the lines any more) it is not.
        for await (const item of items) {
          if (consumerGone || this.#abandoned) break;
          await slots.acquire();
          if (consumerGone || this.#abandoned) break;
          const n = seq++;
          const entry = normalize(item);
          if (entry.kind === "invalid") finish(n, this.#invalidResult(entry.invalid));
          else if (this.#runtime.stopReason !== undefined) finish(n, this.#notAttempted(entry.record));
          else active.track(limit(() => this.#runOne(entry.record, deps)).then((result) => finish(n, result)));
        }
        inputDone = true;
        flow?.update(active.count, true);
        await active.idle();
        queue.close();
      } catch (err) {
        await active.idle();
        queue.close(err);
      }
    };

    const producer = produce();
    const ordered = this.#opts.ordered ? new OrderedBuffer<GenerationResult>() : undefined;
    try {
      for await (const { seq, result } of queue) {
        const ready = ordered ? ordered.push(seq, result) : [result];
        for (const r of ready) {
          yield r;
          slots.release();
        }
      }
    } finally {
      consumerGone = true;
      slots.open();
      await producer;
    }
  }

  async #runOne(record: InputRecord, deps: StepDeps): Promise<GenerationResult> {
    if (this.#runtime.stopReason !== undefined) return this.#notAttempted(record);
    let outcome: RecordOutcome;
    try {
      const flow = this.#opts.flow;
      outcome = await (flow ? flow.run(record.id, () => runRecord(this.#prepared, record, deps)) : runRecord(this.#prepared, record, deps));
    } catch (err) {
      // A bug, not a provider failure: keep the batch going and say what happened on this record.
      const message = err instanceof Error ? err.message : String(err);
      return failedResult(record.id, resultError("unknown", `internal error: ${message}`));
    }
    const { result, notSent } = outcome;
    const out = notSent && this.#runtime.stopReason !== undefined ? this.#notAttempted(record) : result;
    if (this.#opts.includeInput) out.input = record.vars;
    if (record.metadata !== undefined) out.metadata = record.metadata;
    return out;
  }

  #invalidResult(invalid: InvalidRecord): GenerationResult {
    const where = this.#opts.inputName ? `${this.#opts.inputName}:${invalid.line}` : `line ${invalid.line}`;
    return failedResult(invalid.id, resultError("invalid_input", `${where}: ${invalid.message}`, { line: invalid.line }));
  }

  #notAttempted(record: InputRecord): GenerationResult {
    const result = this.#runtime.notAttempted(record.id);
    if (this.#opts.includeInput) result.input = record.vars;
    if (record.metadata !== undefined) result.metadata = record.metadata;
    return result;
  }
}

function normalize(item: ReadItem | InputRecord): ReadItem {
  return "kind" in item ? item : { kind: "record", record: item };
}

/** Counts running tasks so the producer can wait for the last one without keeping a list. */
class ActiveCount {
  #n = 0;
  #onIdle: (() => void) | undefined;
  readonly #onChange: ((n: number) => void) | undefined;

  constructor(onChange?: (n: number) => void) {
    this.#onChange = onChange;
  }

  get count(): number {
    return this.#n;
  }

  track(task: Promise<void>): void {
    this.#n++;
    this.#onChange?.(this.#n);
    void task.finally(() => {
      if (--this.#n === 0) this.#onIdle?.();
      this.#onChange?.(this.#n);
    });
  }

  idle(): Promise<void> {
    if (this.#n === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#onIdle = resolve));
  }
}
