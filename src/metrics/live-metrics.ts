/**
 * The live view of a run, sampled on a timer: one `LiveLine` per tick goes to `--metrics-file`
 * (one JSON object per line, for `tail -f` or a dashboard) and to the `--report` timeline. The
 * field names are a public contract, like the summary's.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import type { ErrorType } from "../types.js";
import type { MetricsSnapshot, WaitKind } from "./metrics-recorder.js";
import type { QuotaFigure } from "./quota-figures.js";

export interface LiveLine {
  /** Wall-clock time of the sample (ISO 8601). */
  ts: string;
  elapsed_s: number;
  /** Requests (attempts) and tokens per minute over the last 60 s. */
  rpm: number;
  tpm: number;
  in_flight: number;
  /** Requests waiting at each client-side gate right now. */
  queued: { rpm: number; tpm: number; budget: number };
  records_done: number;
  ok: number;
  failed: number;
  /** Of `failed`, the records that sent no request (budget_exceeded, not_attempted, invalid_input). */
  unsent: number;
  /** Failed attempts per minute over the last 60 s. */
  errors_per_min: number;
  /** Mean latency of the records finished in the last 60 s. */
  latency_ms_avg: number;
  /** Waits since the start: gates (client side) and retry backoff (server side). */
  waits: Record<WaitKind, { count: number; ms: number }>;
  errors_by_type: Partial<Record<ErrorType, number>>;
  /** Cost of the records finished so far; null once a model without a price was billed (as the summary's). */
  cost_usd: number | null;
  /** What the priced models cost so far (the known spend; equal to `cost_usd` when every model has a price). */
  priced_cost_usd: number;
  /** Tokens billed by models without a price so far (0 when none): what `cost_usd: null` leaves unpriced. */
  unpriced_tokens: number;
  /** Attempts sent and tokens reported since the start (cumulative, for rates between samples). */
  requests: number;
  tokens: number;
  /** Present with `--max-cost`. */
  budget?: { max_cost_usd: number; spent_usd: number; reserved_usd: number };
  /** Per quota so far (see the summary's `quotas`); present when the run has any. */
  quotas?: QuotaFigure[];
  /** `--batch`: each batch of this run as last polled (present once one is created). */
  batches?: LiveBatch[];
}

/** One provider batch in a `--metrics-file` line. */
export interface LiveBatch {
  batch_id: string;
  chunk: number;
  model: string;
  status: string;
  total: number;
  completed: number;
  failed: number;
  elapsed_s: number;
}

export interface LiveExtras {
  queued: LiveLine["queued"];
  budget?: LiveLine["budget"] | undefined;
  quotas?: QuotaFigure[] | undefined;
  batches?: LiveBatch[] | undefined;
}

export function liveLine(s: MetricsSnapshot, extras: LiveExtras, now: Date = new Date()): LiveLine {
  const line: LiveLine = {
    ts: now.toISOString(),
    elapsed_s: Math.round(s.elapsedMs / 100) / 10,
    rpm: s.rpm,
    tpm: s.tpm,
    in_flight: s.inFlight,
    queued: extras.queued,
    records_done: s.done,
    ok: s.ok,
    failed: s.errors,
    unsent: s.unsent,
    errors_per_min: s.errorsPerMin,
    latency_ms_avg: s.latencyMsAvg,
    waits: s.waits,
    errors_by_type: s.errorsByType,
    cost_usd: s.costUsd,
    priced_cost_usd: s.pricedCostUsd,
    unpriced_tokens: s.unpricedTokens,
    requests: s.requestsStarted,
    tokens: s.tokens,
  };
  if (extras.budget) line.budget = extras.budget;
  if (extras.quotas !== undefined && extras.quotas.length > 0) line.quotas = extras.quotas;
  if (extras.batches !== undefined && extras.batches.length > 0) line.batches = extras.batches;
  return line;
}

export interface SamplerOptions {
  /** Milliseconds between samples. */
  intervalMs: number;
  sample(): LiveLine;
  onLine(line: LiveLine): void;
}

/** Samples on a timer that never keeps the process alive; `stop` takes one last sample. */
export function startSampler(options: SamplerOptions): { stop(): void } {
  const timer = setInterval(() => options.onLine(options.sample()), options.intervalMs);
  timer.unref();
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      options.onLine(options.sample());
    },
  };
}

/** `--metrics-file`: appends one JSON line per sample, so a resumed run continues the same file. */
export class MetricsFile {
  readonly #stream: WriteStream;
  #error: Error | undefined;

  constructor(path: string) {
    this.#stream = createWriteStream(path, { flags: "a" });
    // Reported at close: a full disk must not crash the run that the metrics only describe.
    this.#stream.on("error", (e) => (this.#error ??= e));
  }

  write(line: LiveLine): void {
    if (!this.#error) this.#stream.write(`${JSON.stringify(line)}\n`);
  }

  /** Flushes; rejects with the first write error, if any. */
  close(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#stream.end(() => (this.#error ? reject(this.#error) : resolve()));
      if (this.#error) reject(this.#error);
    });
  }
}
