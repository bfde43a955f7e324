import type { ResolvedRunOptions } from "../config/run-options.js";
import { priceTableFor, type PriceOverrides } from "../config/price-overrides.js";
import { budgetedPipeline } from "./budget-setup.js";
import { GenerationEngine } from "../engine/engine.js";
import type { MaxErrors } from "../engine/error-limit.js";
import { checkColumns } from "../engine/header-check.js";
import { refuseBadInput } from "../engine/preflight.js";
import type { RetryTiming } from "../engine/retry.js";
import { UsageError } from "../errors.js";
import { exitCodeFor } from "./exit-codes.js";
import { OUTPUT_CLOSED_STOP, OUTPUT_CLOSED_TEXT, type StopReason } from "../engine/stop-reason.js";
import type { QuotaStore } from "../gates/quota-store.js";
import { quotaFigures, quotaStoreSummary } from "../metrics/quota-figures.js";
import { openRunQuotaStore } from "./quota-store-setup.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { canReadTwice, openInput } from "../io/open-input.js";
import { checkRunPaths, isSpecialFile, type FileIdentity } from "../io/output-paths.js";
import { readAhead } from "../io/read-ahead.js";
import { stopReadingOn, type StoppableInput } from "../io/stop-reading.js";
import { createResultWriter, resultFormat, type OutputFormat, type ResultWriter } from "../io/result-writer.js";
import { BudgetGate } from "../cost/budget-gate.js";
import type { MetricsRecorder } from "../metrics/metrics-recorder.js";
import { SummaryBuilder, type BudgetSummary, type RunSummary } from "../metrics/summary.js";
import { createProvider, providerSettings, type ProviderConnections } from "../providers/create.js";
import { roundUsdTotal, type PriceTable } from "../cost/prices.js";
import { prepareOutput, refuseNewColumns } from "./prepare-output.js";
import { RunMonitor } from "./run-monitor.js";
import { SpendLedger } from "./run-spend.js";
import { CsvLostFields } from "./csv-lost-fields.js";
import type { GenerationResult } from "../types.js";
import { openResponseCache, resolveCacheOptions, type CacheSetting } from "../cache/cache-options.js";
import type { ResponseCache } from "../cache/response-cache.js";
import { BatchBackend } from "../batch/backend.js";
import type { BatchInfo } from "../batch/batch-api.js";
import { BatchTally } from "../batch/batch-tally.js";
import type { ChunkEntry } from "../batch/journal.js";
import { batchPriceTable } from "../cost/batch-prices.js";
import { runIdentity } from "../config/fingerprint.js";

export type { ProviderConnections } from "../providers/create.js";
export { EXIT, OUTPUT_CLOSED } from "./exit-codes.js";
export type { StopReason } from "../engine/stop-reason.js";

/** The summary's `stopped_reason` after `interrupted: ` when reading stdin or a pipe stopped at the interrupt. */
const notReadPast = (input: string) => `${input === "-" ? "stdin" : input} not read past the interrupt; the records after it are not in the output`;

/** The warning when reading stdin or a pipe stops at the interrupt. */
function stoppedReading(input: string): string {
  if (input === "-") {
    return "stdin: stopped reading at the interrupt; records not read are not in the output, and --resume cannot read them from stdin again (pipe the same input again with --resume -o <file>, or give the input as a file)";
  }
  return `${input}: stopped reading at the interrupt; records not read are not in the output, and --resume cannot read them from the pipe again (send the same input into it again with --resume -o <file>, or give the input as a file)`;
}

export interface BatchConfig {
  /** Input file, or "-" for `stdin`. */
  input: string;
  format?: "jsonl" | "csv" | "tsv";
  stdin?: NodeJS.ReadableStream;
  /**
   * When `input` is "-" and stdin is redirected from a regular file (`< in.jsonl`): that file, by
   * device and inode, so that no output of the run can be it (see `checkRunPaths`). The CLI finds
   * it with `fstat` on stdin's descriptor.
   */
  stdinFile?: FileIdentity;
  /** Results file (.jsonl, .csv or .tsv); undefined or "-" writes to `stdout`. */
  output?: string;
  /** `--output-format`: what the results are written as, whatever `output`'s name. @default from the extension; stdout: jsonl */
  outputFormat?: OutputFormat;
  /** CSV and TSV output: text a spreadsheet would run as a formula gets a leading `'` (`--no-csv-guard` turns it off). @default true */
  csvGuard?: boolean;
  /** CSV and TSV output: start with a UTF-8 byte-order mark, for Excel (`--bom`). @default false */
  bom?: boolean;
  stdout?: NodeJS.WritableStream;
  /** Also write the summary as JSON here. */
  summaryPath?: string;
  options: ResolvedRunOptions;
  connections: ProviderConnections;
  ordered?: boolean;
  includeInput?: boolean;
  /** The price table. @default the bundled one, with the pipeline's `prices:` applied */
  prices?: PriceTable;
  /** `--prices <file>`: applied over the pipeline's `prices:`. */
  priceOverrides?: PriceOverrides;
  /** `--max-cost`: the run never spends more than this (USD), in-flight requests included. */
  maxCostUsd?: number;
  /** `--metrics-file`: one JSON line of live metrics per interval. */
  metricsFile?: string;
  /** `--metrics-interval`, in ms. @default 5000 */
  metricsIntervalMs?: number;
  /** `--report`: a self-contained HTML report of the run. */
  reportPath?: string;
  retryTiming?: RetryTiming;
  /**
   * Aborting it stops admission (first Ctrl-C); in-flight records finish. The rest of a file is
   * read and written as `not_attempted`; `stdin` (when given) is not read past it.
   */
  stopSignal?: AbortSignal;
  /** Aborting it cancels in-flight requests (second Ctrl-C). */
  cancelSignal?: AbortSignal;
  /**
   * After the output closed (`| head`), how long the requests in flight may run before they are
   * cancelled: their results are counted in the summary, not written. `--grace` in the CLI.
   * @default no limit (each request's own timeout)
   */
  graceMs?: number;
  onWarning?(message: string): void;
  /** What reading the input decided that a user may want to know (a sniffed delimiter). */
  onInfo?(message: string): void;
  /**
   * Continue the results file `output`: records it already has a successful line for are
   * skipped, the others run and their lines are appended. `"failed"` (`--retry-failed`) runs
   * only the records whose lines all failed. Needs `output` to be a file.
   * @default false
   */
  resume?: boolean | "failed";
  /** Resume even when the output came from another pipeline or model. @default false */
  force?: boolean;
  /** Check the whole input first and refuse to start (UsageError) if any record is bad. @default false */
  strict?: boolean;
  /** Stop admitting once this many records failed for good (exit 1). @default undefined */
  maxErrors?: MaxErrors;
  /**
   * Where the quotas' buckets live: one per thing a provider limits (an OpenAI model on an endpoint
   * and key). Give a store of your own to share limits or watch admissions.
   * @default a new in-memory store
   */
  quotaStore?: QuotaStore;
  /** Called after each result is written (progress bars, live views); `skipped`: records a resume skipped so far. */
  onResult?(result: GenerationResult, metrics: MetricsRecorder, skipped: number): void;
  /**
   * The response cache (`--cache`): `true` for the defaults, or `{dir, maxSize, ttl}`. A call it
   * answers sends nothing and costs 0; one it cannot open is a warning and a run without it.
   * @default the pipeline's `cache:`, else off
   */
  cache?: CacheSetting;
}

export interface BatchOutcome {
  summary: RunSummary;
  exitCode: number;
  /** Why the run stopped admitting early (the value behind the summary's `stopped_reason`), or undefined. */
  stop?: StopReason | undefined;
}

/**
 * Runs a whole batch: input reader → engine (gates, providers, retries) → writer → summary.
 * One result line per input record; the summary's figures are the sum of those lines.
 * With `options.redis` (and no `quotaStore` of the caller's), the quotas are shared through that
 * Redis: it is opened before anything is read or sent, and closed when the run ends.
 */
export async function runBatch(config: BatchConfig): Promise<BatchOutcome> {
  const url = config.options.redis;
  if (url === undefined || config.quotaStore !== undefined) return runWithStore(config);
  const store = await openRunQuotaStore(url, { onWarning: config.onWarning, onInfo: config.onInfo });
  try {
    return await runWithStore({ ...config, quotaStore: store });
  } finally {
    await store.close();
  }
}

/** The quota store is settled (in memory, or shared); now the response cache, if the run has one. */
async function runWithStore(config: BatchConfig): Promise<BatchOutcome> {
  const settings = resolveCacheOptions(config.cache ?? config.options.pipeline.cache);
  const cache = settings && (await openResponseCache(settings, config.onWarning));
  try {
    return await runWithCache(config, cache);
  } finally {
    await cache?.close();
  }
}

async function runWithCache(config: BatchConfig, cache: ResponseCache | undefined): Promise<BatchOutcome> {
  const { options } = config;
  const batchMode = options.batch;
  if (batchMode && (config.output === undefined || config.output === "-")) {
    throw new UsageError("--batch needs -o <file>: the batches' journal lives beside the results file, so a crash or Ctrl-C can be resumed with --resume (stdout cannot)");
  }
  if (batchMode && (await isSpecialFile(config.output!))) {
    throw new UsageError(`--batch needs -o to be a regular file: ${config.output} is a device or a pipe, and the batches' journal lives beside the results file`);
  }
  const syncPrices = priceTableFor(options.pipeline.prices, config.priceOverrides, config.prices);
  // A batch run prices every call, its worst case under --max-cost included, at batch prices.
  const prices = batchMode ? batchPriceTable(syncPrices) : syncPrices;
  let pipeline = options.pipeline;
  if (config.maxCostUsd !== undefined) {
    const budgeted = budgetedPipeline(pipeline, prices, config.maxCostUsd);
    pipeline = budgeted.pipeline;
    if (budgeted.cappedOutput) config.onWarning?.(`--max-cost: requests without max_tokens are capped at ${pipeline.params.max_tokens} output tokens, so their worst-case cost is a bound`);
  }
  // stdin or a pipe is not read past an interrupt (a pipe may never end); a file is read to its end.
  let stoppable: StoppableInput | undefined;
  const stop = config.stopSignal;
  const wrapStream =
    stop && !canReadTwice(config.input) ? (stream: NodeJS.ReadableStream) => (stoppable = stopReadingOn(stream, stop, () => config.onWarning?.(stoppedReading(config.input)))).stream : undefined;
  // A CSV's header is checked against the pipeline's templates before any row is sent.
  const onHeader = (columns: readonly string[]) => checkColumns(options.pipeline, columns, input.name);
  const input = openInput(config.input, { format: config.format, stdin: config.stdin, ...options.input, onInfo: config.onInfo, onWarning: config.onWarning, onHeader, wrapStream });
  const outputFormat = resultFormat({ path: config.output, format: config.outputFormat, bom: config.bom });
  // Before any file is opened: no output may be the input, another output, or a folder.
  await checkRunPaths({ input: config.input, stdinFile: config.stdinFile, output: config.output, summary: config.summaryPath, report: config.reportPath, metricsFile: config.metricsFile });
  if (config.strict) await refuseBadInput(config.input, config.format, config.options.pipeline, options.input);
  const resumed = await prepareOutput(config.output, {
    resume: config.resume,
    force: config.force,
    pipeline: config.options.pipeline,
    includeInput: config.includeInput,
    format: outputFormat,
    csvGuard: config.csvGuard,
    onWarning: config.onWarning,
  });
  const monitor = new RunMonitor({ metricsFile: config.metricsFile, intervalMs: config.metricsIntervalMs, reportPath: config.reportPath, title: input.name });
  const metrics = monitor.metrics;
  const summary = new SummaryBuilder();
  const warned = new Set<string>();
  // `--max-cost` covers the whole results file: what earlier runs spent on it counts against the cap.
  const spentBefore = resumed.spentBefore;
  const budget = config.maxCostUsd === undefined ? undefined : new BudgetGate({ maxUsd: config.maxCostUsd, spentUsd: spentBefore });
  if (budget && spentBefore > 0)
    config.onWarning?.(
      `--max-cost ${config.maxCostUsd} covers the whole results file: $${roundUsdTotal(spentBefore)} was spent on ${config.output} by earlier runs, so this run may spend $${roundUsdTotal(budget.remainingUsd)} more`,
    );
  // Ours, so the grace period after the output closed can cancel the requests in flight too.
  const cancel = new AbortController();
  const onCancel = () => cancel.abort(config.cancelSignal?.reason);
  if (config.cancelSignal?.aborted) onCancel();
  else config.cancelSignal?.addEventListener("abort", onCancel, { once: true });
  let inFlightAtStop: number | null = null;
  const backend = batchMode && new BatchBackend(batchMode);
  // A whole chunk must be in flight at once for its batch to fill, and a few chunks at once so they
  // run side by side at the provider: up to 100,000 records wait in batches (one chunk if larger).
  const concurrency = batchMode ? Math.max(options.concurrency, batchMode.size, Math.min(batchMode.size * 4, BATCH_RECORDS_IN_FLIGHT)) : options.concurrency;
  const tally = batchMode && new BatchTally(syncPrices);
  const engine = new GenerationEngine({
    pipeline,
    provider: (name) => createProvider(providerSettings(name, pipeline, config.connections, config.onWarning)),
    prices,
    budgetGate: budget,
    cache,
    quotaStore: config.quotaStore,
    concurrency,
    ...(backend ? { batch: backend, flow: backend } : {}),
    rpm: options.rpm,
    tpm: options.tpm,
    maxRetries: options.maxRetries,
    timeoutMs: options.timeoutMs,
    retryTiming: config.retryTiming,
    ordered: config.ordered,
    includeInput: config.includeInput,
    stopSignal: config.stopSignal,
    cancelSignal: cancel.signal,
    onStop: () => (inFlightAtStop = metrics.inFlight),
    inputName: input.name,
    maxErrors: config.maxErrors,
    observer: monitor.observer,
    onWarning: config.onWarning,
    onUnpricedModel: (model) => {
      if (warned.has(model)) return;
      warned.add(model);
      config.onWarning?.(`no price known for model "${model}": its cost is reported as null (add it with a price table)`);
    },
  });

  if (backend) {
    if (options.rpm !== undefined || options.tpm !== undefined)
      config.onWarning?.("--batch: rpm/tpm limits do not apply to batches (the Batch API has its own pool; its limit is enqueued tokens, see --batch-max-enqueued-tokens)");
    await backend.open({
      output: config.output!,
      fingerprint: runIdentity(options.pipeline).fingerprint,
      resume: config.resume !== undefined && config.resume !== false,
      providers: engine.providerNames.map((name) => ({ name, provider: engine.provider(name) })),
      capacity: concurrency,
      waitingElsewhere: budget && (() => budget.waiting),
      stop: engine.stopSignal,
      interrupt: anySignal(config.stopSignal, cancel.signal),
      onProgress: (chunk, info, elapsedMs) => config.onInfo?.(batchProgress(chunk, info, elapsedMs)),
      onWarning: config.onWarning,
    });
  }

  // The input's first read runs its checks (a CSV header against the templates, a CSV given as
  // JSON Lines, the encoding) before the output is touched: a refused input leaves it as it was.
  // A CSV result file's input columns are those of the first record that can be read.
  const csvColumns = config.includeInput === true && outputFormat !== "jsonl";
  const ahead = await readAhead(input.items, { untilRecord: csvColumns });
  input.items = ahead.items;
  // Interrupted before the first record (stdin still empty): not an empty input, an interrupted run.
  if (ahead.empty && !stop?.aborted) throw new UsageError(`${input.name}: no records found (the input is empty)`);
  let writer: ResultWriter;
  let ledger: SpendLedger | undefined;
  try {
    if (csvColumns) refuseNewColumns(config.output, resumed.csvLayout, ahead.firstRecord);
    const meta = await resumed.commit();
    ledger =
      meta &&
      new SpendLedger(
        config.output!,
        meta,
        () => spentThisRun(budget, metrics),
        (err) => config.onWarning?.(`cannot record what the run spent: ${(err as Error).message}`),
      );
    writer = await createResultWriter({
      path: config.output,
      format: outputFormat,
      stdout: config.stdout,
      includeInput: config.includeInput,
      inputColumns: csvColumns ? Object.keys(ahead.firstRecord?.vars ?? {}) : undefined,
      append: resumed.append,
      csvLayout: resumed.csvLayout,
      csvGuard: config.csvGuard,
      bom: config.bom,
    });
  } catch (err) {
    await ahead.close();
    throw err;
  }
  const started = performance.now();
  monitor.start(() => ({
    queued: { ...engine.quotas.waiting(), budget: budget?.waiting ?? 0 },
    budget: budget && budgetLine(budget),
    quotas: quotaFigures(engine.quotas),
    batches: backend ? backend.live() : undefined,
  }));
  ledger?.start();
  const lost = outputFormat === "jsonl" ? undefined : new CsvLostFields();
  let unwritten = 0;
  let built: RunSummary | undefined;
  let outputClosed = false;
  let grace: NodeJS.Timeout | undefined;
  try {
    try {
      for await (const result of engine.run(resumed.filter(input.items))) {
        if (!outputClosed) {
          try {
            await writer.write(result);
          } catch (err) {
            if (!isClosedPipe(err)) throw err;
            // `llmbatch run … | head`: nobody reads the results any more, so nothing more is sent.
            // The requests in flight may still be billed: their results are waited for (up to the
            // grace period, then they are cancelled) and counted, though they have no line.
            outputClosed = true;
            engine.abandon(OUTPUT_CLOSED_STOP);
            if (config.graceMs !== undefined) grace = setTimeout(() => cancel.abort(new Error(OUTPUT_CLOSED_TEXT)), config.graceMs);
          }
        }
        if (outputClosed) unwritten++;
        else lost?.note(result);
        summary.add(result);
        if (tally) tally.add(result);
        monitor.recordResult(result);
        if (!outputClosed) config.onResult?.(result, metrics, resumed.skipped.count);
      }
    } finally {
      clearTimeout(grace);
      config.cancelSignal?.removeEventListener("abort", onCancel);
      await writer.close().catch((err: unknown) => {
        if (!(outputClosed && isClosedPipe(err))) throw err;
      });
    }
    const lostMessage = lost?.message(config.output && config.output !== "-" ? config.output : "the output");
    if (lostMessage !== undefined) config.onWarning?.(lostMessage);

    const stopReason = engine.stopReason;
    // A CSV quote never closed: the run must not look complete (its last result line says it too).
    const incomplete = input.incomplete();
    if (incomplete !== undefined) config.onWarning?.(`the input was not read to its end: ${incomplete}`);
    built = summary.build({
      exitCode: 0,
      stoppedReason: stoppable?.stopped ? `${stopReason}: ${notReadPast(config.input)}` : (stopReason ?? (incomplete === undefined ? null : `input not read to its end: ${incomplete}`)),
      wallMs: performance.now() - started,
      budget: budget && budgetSummary(budget),
      cache: cache && { hits: cache.hits, misses: cache.misses },
      skipped: resumed.skipped.count,
      unwritten,
      inFlightAtStop: stopReason === undefined ? null : inFlightAtStop,
      costUnknown: metrics.costUnknown,
      // The synchronous quotas a batch run never used (no --batch-fallback sync) would only be noise.
      quotas: quotaFigures(engine.quotas).filter((q) => !batchMode || q.requests > 0),
      quotaStore: quotaStoreSummary(engine.quotas.store),
      batch: backend && tally ? backend.summary(tally.answeredLines, tally.savedUsd) : undefined,
    });
    const left = backend ? backend.unfinishedIds() : [];
    if (left.length > 0) {
      config.onWarning?.(
        `${left.length} batch${left.length === 1 ? " is" : "es are"} still running at the provider (${left.slice(0, 3).join(", ")}${left.length > 3 ? ", …" : ""}): run the same command with --resume to collect ${left.length === 1 ? "it" : "them"} (nothing is sent twice), or cancel with: llmbatch batches cancel ${config.output}`,
      );
    }
    built.exit_code = exitCodeFor(engine.stopped, built);
    if (config.summaryPath) await writeFileAtomic(config.summaryPath, `${JSON.stringify(built, null, 2)}\n`);
  } finally {
    await ledger?.finish();
    await monitor.finish(built);
  }
  return { summary: built, exitCode: built.exit_code, stop: engine.stopped };
}

/** Aborted when any of the signals is; undefined when none is given. */
function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const given = signals.filter((s): s is AbortSignal => s !== undefined);
  return given.length === 0 ? undefined : AbortSignal.any(given);
}

/** Records a `--batch` run keeps waiting in batches at once, unless one chunk is larger. */
const BATCH_RECORDS_IN_FLIGHT = 100_000;

/** One stderr line per change of a batch's state or counts. */
function batchProgress(chunk: ChunkEntry, info: BatchInfo, elapsedMs: number): string {
  const { total, completed, failed } = info.counts;
  return `batch ${info.id} (chunk ${chunk.index}, ${chunk.model}, ${chunk.custom_ids.length} requests): ${info.status}, ${completed}/${total || chunk.custom_ids.length} done, ${failed} failed, ${Math.round(elapsedMs / 1000)} s`;
}

function budgetLine(b: BudgetGate) {
  return { max_cost_usd: b.limitUsd, spent_usd: roundUsdTotal(b.spentUsd), reserved_usd: roundUsdTotal(b.reservedUsd) };
}

function budgetSummary(b: BudgetGate): BudgetSummary {
  return { max_cost_usd: b.limitUsd, spent_usd: roundUsdTotal(b.spentUsd), spent_before_usd: roundUsdTotal(b.spentBeforeUsd), exhausted: b.exhausted };
}

/**
 * What this run has spent so far, as the sidecar records it: the known spend. Under `--max-cost`,
 * what the budget charged plus what requests in flight hold (so a crash never under-counts);
 * otherwise the priced models' costs plus the worst case of attempts whose bill is unknown. A
 * model without a price adds nothing it could be measured by (its tokens are in the summary).
 */
function spentThisRun(budget: BudgetGate | undefined, metrics: MetricsRecorder): number {
  if (budget) return budget.spentUsd - budget.spentBeforeUsd + budget.reservedUsd;
  return metrics.pricedCostUsd + metrics.costUnknown.worst_case_usd;
}

function isClosedPipe(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === "EPIPE" || code === "ERR_STREAM_DESTROYED";
}
