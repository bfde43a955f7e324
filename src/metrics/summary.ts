/**
 * The run summary (`--summary file.json`): folds every `GenerationResult` into totals as results
 * arrive, in memory bounded by the number of distinct models, steps and error types, never by
 * the number of records. The field names are a public contract (DESIGN.md).
 */
import type { BatchSummary } from "../batch/backend.js";
import type { QuotaFigure, QuotaStoreSummary } from "./quota-figures.js";
import { systemClock, type Clock } from "../gates/clock.js";
import { roundUsdTotal } from "../cost/prices.js";
import { addBackoff, addUsage, emptyBackoff, emptyUsage } from "../types.js";
import type { BackoffStats, ErrorType, GenerationResult, Usage } from "../types.js";
import { LatencyHistogram } from "./latency-histogram.js";

export interface RunSummary {
  records: number;
  ok: number;
  /** Failures other than the records never sent (`not_attempted`, `budget_exceeded`). */
  failed: number;
  not_attempted: number;
  /** Input lines that could not be parsed (also counted in `failed`). */
  invalid_input: number;
  /** Records a `--resume` skipped because the output already had their result (not in `records`). */
  skipped: number;
  /** Provider attempts over all records, retries included. */
  attempts: number;
  /**
   * Records counted here whose line could not be written because the output closed (`| head`):
   * their attempts, usage and cost are in the totals, but the results have no line.
   */
  unwritten: number;
  /** Requests in flight when the run stopped early (they may be billed, and are counted here); null when it ended by itself. */
  in_flight_at_stop: number | null;
  /**
   * Attempts that failed with their bill unknown (cancelled, timed out, connection lost after
   * sending): the server may have charged them. Their worst case (prompt tokens × input price +
   * max output tokens × output price, priced models only) is NOT in `cost_usd`.
   */
  cost_unknown: CostUnknown;
  /** Answers cut off at the output token limit (`finish_reason: length`): one per LLM step whose last reply was. */
  truncated: number;
  truncated_by_step: Record<string, number>;
  usage: Usage;
  /**
   * What the records cost: null when a model without a price answered (its tokens were billed at a
   * price we do not know, see `unpriced_models`), so a partial sum never passes for the whole.
   */
  cost_usd: number | null;
  /** Per model: null for a model without a price that answered; 0 when nothing was billed. */
  cost_by_model: Record<string, number | null>;
  /** Per step, by the same rule. */
  cost_by_step: Record<string, number | null>;
  /** Tokens per model, so an unpriced model's tokens can be priced by hand. */
  usage_by_model: Record<string, Usage>;
  /** Models without a known price that answered (their cost is null), sorted. */
  unpriced_models: string[];
  backoff: BackoffStats;
  errors_by_type: Partial<Record<ErrorType, number>>;
  /** Over records that reached a provider (attempts > 0); all 0 when none did. */
  latency_ms: Percentiles;
  /** The same percentiles per step, over the step's calls that reached a provider. */
  latency_ms_by_step: Record<string, Percentiles>;
  /**
   * Where waiting time went: client-side gates (`rpm_ms + tpm_ms + budget_ms = gates_ms`) versus
   * server-side backoff before retries (`retry_ms`), summed over records.
   */
  wait_ms: { gates_ms: number; rpm_ms: number; tpm_ms: number; budget_ms: number; retry_ms: number };
  /** `--max-cost`: the cap, what was charged against it, and whether it stopped the run; null without a cap. */
  budget: BudgetSummary | null;
  /** `--cache`: calls answered from the response cache, calls that missed it, and what the hits would have cost; null without the cache. */
  cache: CacheSummary | null;
  wall_ms: number;
  /** Attempted records per minute of wall time. */
  throughput_rpm: number;
  started_at: string;
  finished_at: string;
  /** "fatal: …", "interrupted", or null when the run ended by itself. */
  stopped_reason: string | null;
  /** Per quota (what a provider limits: an OpenAI model on an endpoint and key, an Ollama server): limits in force, requests, tokens, waits, 429s. */
  quotas: QuotaFigure[];
  /** With `--redis`: the quotas were shared through this Redis (password masked). Absent: each in this process's memory. */
  quota_store?: QuotaStoreSummary;
  /** `--batch`: the batches, requests and what batch prices saved; absent for a synchronous run. */
  batch?: BatchSummary;
  exit_code: number;
}

export interface Percentiles {
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface CostUnknown {
  attempts: number;
  worst_case_usd: number;
}

export interface BudgetSummary {
  max_cost_usd: number;
  /**
   * Charged against the cap, which covers the whole results file: what earlier runs spent on it
   * (`spent_before_usd`), plus this run's records' costs and the whole hold of its attempts whose
   * bill is unknown (timeouts).
   */
  spent_usd: number;
  /** Spent on the results file by the runs before this one (its sidecar's `spent_usd`); 0 for a new file. */
  spent_before_usd: number;
  exhausted: boolean;
}

export interface CacheSummary {
  hits: number;
  misses: number;
  /** What the calls answered from the cache would have cost (null: some model has no price). */
  saved_usd: number | null;
}

export interface BuildOptions {
  /** `--cache`: the cache's hits and misses over the run. @default null (no cache) */
  cache?: { hits: number; misses: number } | null;
  exitCode: number;
  /** `--batch`: see `RunSummary.batch`. */
  batch?: BatchSummary | undefined;
  /** @default [] */
  quotas?: QuotaFigure[];
  /** A shared store's kind and masked URL. @default absent (in memory) */
  quotaStore?: QuotaStoreSummary | undefined;
  stoppedReason: string | null;
  /** @default null */
  budget?: BudgetSummary | null;
  /** Overrides the wall time measured on the builder's clock since construction. */
  wallMs?: number;
  /** Records skipped by a resume. @default 0 */
  skipped?: number;
  /** Records added whose line could not be written (the output closed). @default 0 */
  unwritten?: number;
  /** Requests in flight when the run stopped early. @default null */
  inFlightAtStop?: number | null;
  /** Attempts whose bill is unknown (`MetricsRecorder.costUnknown`). @default none */
  costUnknown?: CostUnknown;
}

const NOT_SENT: ReadonlySet<ErrorType> = new Set(["not_attempted", "budget_exceeded"]);

/** The finish reason of a reply cut off at the output token limit. */
const TRUNCATED = "length";

const roundTenth = (x: number): number => Math.round(x * 10) / 10;

function addTo<K extends string>(into: Partial<Record<K, number>>, key: K, amount: number): void {
  into[key] = (into[key] ?? 0) + amount;
}

/** A running cost: null (unknown) once any part is. */
function addCostTo(into: Partial<Record<string, number | null>>, key: string, cost: number | null): void {
  const sum = into[key];
  into[key] = cost === null || sum === null ? null : (sum ?? 0) + cost;
}

const roundCost = (v: number | null): number | null => (v === null ? null : roundUsdTotal(v));

/** Copies with keys in sorted order, so summaries diff cleanly between runs. */
function sortedRecord<V, R>(from: Partial<Record<string, V>>, map: (v: V) => R): Record<string, R> {
  const out: Record<string, R> = {};
  for (const key of Object.keys(from).sort()) out[key] = map(from[key] as V);
  return out;
}

function percentiles(h: LatencyHistogram): Percentiles {
  return { p50: Math.round(h.percentile(50)), p90: Math.round(h.percentile(90)), p99: Math.round(h.percentile(99)), max: Math.round(h.max) };
}

export class SummaryBuilder {
  readonly #clock: Clock;
  readonly #startMono: number;
  readonly #startedAt: Date;
  readonly #latency = new LatencyHistogram();
  readonly #stepLatency = new Map<string, LatencyHistogram>();
  readonly #usage = emptyUsage();
  readonly #backoff = emptyBackoff();
  readonly #costByModel: Partial<Record<string, number | null>> = {};
  readonly #costByStep: Partial<Record<string, number | null>> = {};
  readonly #usageByModel: Partial<Record<string, Usage>> = {};
  readonly #errors: Partial<Record<ErrorType, number>> = {};
  readonly #unpriced = new Set<string>();
  readonly #truncatedByStep: Partial<Record<string, number>> = {};
  #truncated = 0;
  #records = 0;
  #ok = 0;
  #notAttempted = 0;
  #invalidInput = 0;
  #attempts = 0;
  #attempted = 0;
  #cost: number | null = 0;
  #saved: number | null = 0;

  /** `startedAt` is the wall-clock start; durations come from the (monotonic) `clock`. */
  constructor(clock: Clock = systemClock, startedAt: Date = new Date()) {
    this.#clock = clock;
    this.#startMono = clock.now();
    this.#startedAt = startedAt;
  }

  add(result: GenerationResult): void {
    this.#records++;
    if (result.ok) this.#ok++;
    else {
      const { type } = result.error;
      addTo(this.#errors, type, 1);
      if (NOT_SENT.has(type)) this.#notAttempted++;
      if (type === "invalid_input") this.#invalidInput++;
    }
    this.#attempts += result.attempts;
    if (result.attempts > 0) {
      this.#attempted++;
      this.#latency.record(result.latency_ms);
    }
    if (result.steps.length === 0 && result.finish_reason === TRUNCATED) this.#truncated++;
    for (const step of result.steps) {
      if (step.finish_reason === TRUNCATED) {
        this.#truncated++;
        addTo(this.#truncatedByStep, step.id, 1);
      }
      if ((step.attempts ?? 0) === 0) continue;
      let h = this.#stepLatency.get(step.id);
      if (!h) this.#stepLatency.set(step.id, (h = new LatencyHistogram()));
      h.record(step.ms);
    }
    addUsage(this.#usage, result.usage);
    addBackoff(this.#backoff, result.backoff);
    this.#cost = this.#cost === null || result.cost_usd === null ? null : this.#cost + result.cost_usd;
    if (result.saved_usd !== undefined) this.#saved = this.#saved === null || result.saved_usd === null ? null : this.#saved + result.saved_usd;
    this.#addCosts(result);
  }

  build(options: BuildOptions): RunSummary {
    const wallMs = Math.max(0, Math.round(options.wallMs ?? this.#clock.now() - this.#startMono));
    const failed = this.#records - this.#ok - this.#notAttempted;
    const b = this.#backoff;
    const budgetMs = Math.round(b.budget_wait_ms ?? 0);
    return {
      records: this.#records,
      ok: this.#ok,
      failed,
      not_attempted: this.#notAttempted,
      invalid_input: this.#invalidInput,
      skipped: options.skipped ?? 0,
      attempts: this.#attempts,
      unwritten: options.unwritten ?? 0,
      in_flight_at_stop: options.inFlightAtStop ?? null,
      cost_unknown: options.costUnknown ? { ...options.costUnknown } : { attempts: 0, worst_case_usd: 0 },
      truncated: this.#truncated,
      truncated_by_step: sortedRecord(this.#truncatedByStep, (n: number) => n),
      usage: { ...this.#usage },
      cost_usd: roundCost(this.#cost),
      cost_by_model: sortedRecord(this.#costByModel, roundCost),
      cost_by_step: sortedRecord(this.#costByStep, roundCost),
      usage_by_model: sortedRecord(this.#usageByModel, (u: Usage) => ({ ...u })),
      unpriced_models: [...this.#unpriced].sort(),
      backoff: {
        ...this.#backoff,
        rpm_wait_ms: Math.round(this.#backoff.rpm_wait_ms),
        tpm_wait_ms: Math.round(this.#backoff.tpm_wait_ms),
        retry_wait_ms: Math.round(this.#backoff.retry_wait_ms),
      },
      errors_by_type: sortedRecord(this.#errors, (n: number) => n),
      latency_ms: percentiles(this.#latency),
      latency_ms_by_step: Object.fromEntries([...this.#stepLatency.keys()].sort().map((id) => [id, percentiles(this.#stepLatency.get(id)!)])),
      wait_ms: {
        gates_ms: Math.round(b.rpm_wait_ms) + Math.round(b.tpm_wait_ms) + budgetMs,
        rpm_ms: Math.round(b.rpm_wait_ms),
        tpm_ms: Math.round(b.tpm_wait_ms),
        budget_ms: budgetMs,
        retry_ms: Math.round(b.retry_wait_ms),
      },
      budget: options.budget ?? null,
      cache: options.cache ? { hits: options.cache.hits, misses: options.cache.misses, saved_usd: roundCost(this.#saved) } : null,
      wall_ms: wallMs,
      throughput_rpm: wallMs > 0 ? roundTenth((this.#attempted * 60_000) / wallMs) : 0,
      started_at: this.#startedAt.toISOString(),
      finished_at: new Date(this.#startedAt.getTime() + wallMs).toISOString(),
      stopped_reason: options.stoppedReason,
      quotas: options.quotas ?? [],
      ...(options.quotaStore ? { quota_store: options.quotaStore } : {}),
      ...(options.batch ? { batch: options.batch } : {}),
      exit_code: options.exitCode,
    };
  }

  /**
   * Per-model and per-step costs come from the steps, where each call's model is known. A result
   * without steps (a single call) counts under its model only.
   */
  #addCosts(result: GenerationResult): void {
    if (result.steps.length === 0) {
      if (result.model !== undefined && result.attempts > 0) this.#addCost(result.model, undefined, result.cost_usd, result.usage);
      return;
    }
    for (const step of result.steps) {
      if (step.model === undefined || step.cost_usd === undefined) continue; // not an LLM call
      // A step answered from the cache billed nothing: its tokens are not the model's billed usage.
      this.#addCost(step.model, step.id, step.cost_usd, step.cached ? undefined : step.usage);
    }
  }

  #addCost(model: string, stepId: string | undefined, cost: number | null, usage: Usage | undefined): void {
    if (cost === null) this.#unpriced.add(model);
    addCostTo(this.#costByModel, model, cost);
    if (stepId !== undefined) addCostTo(this.#costByStep, stepId, cost);
    if (usage !== undefined) addUsage((this.#usageByModel[model] ??= emptyUsage()), usage);
  }
}
