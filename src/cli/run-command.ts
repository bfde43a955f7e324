import { fstatSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import { isMainThread, resourceLimits } from "node:worker_threads";
import { loadPipeline } from "../config/pipeline.js";
import { parseMaxErrors, type MaxErrors } from "../engine/error-limit.js";
import { parseDelimiterFlag, parseNumberInRange, parsePositiveInt, parsePositiveNumber, resolveRunOptions, type RunOptionsInput } from "../config/run-options.js";
import { parseEncoding } from "../io/text-encoding.js";
import { checkRedisUrl, REDIS_URL_ENV } from "../config/redis-url.js";
import { runBatch } from "../run/batch.js";
import type { ProviderConnections } from "../providers/create.js";
import { providerKind, providerKinds } from "../providers/registry.js";
import type { Pipeline } from "../config/pipeline.js";
import { loadPriceOverrides, type PriceOverrides } from "../config/price-overrides.js";
import type { ResolvedRunOptions } from "../config/run-options.js";
import { estimateBatch } from "../run/estimate.js";
import { UsageError } from "../errors.js";
import type { SimulatorHandle } from "../simulator/index.js";
import type { RunSummary } from "../metrics/summary.js";
import type { CliIO } from "./main.js";
import type { Logger } from "./logger.js";
import { createProgress } from "./progress.js";
import { formatEstimate } from "./estimate-table.js";
import { formatSummary, truncatedBySteps } from "./summary-table.js";
import { GRACE_MS, interruptSignals } from "./signals.js";
import { groupDigits } from "../metrics/number-format.js";
import { checkInputFile } from "../io/open-input.js";
import type { FileIdentity } from "../io/output-paths.js";
import type { RunFlags } from "./options.js";
import { unsetMaxTokensWarning } from "./tpm-advice.js";
import { parseOutputFormat, resultFormat, type OutputFormat } from "../io/result-writer.js";
import { defaultCacheDir, parseDuration, parseSize, type CacheOptions } from "../cache/cache-options.js";

export type { RunFlags } from "./options.js";

const FORMATS = ["jsonl", "csv", "tsv"] as const;

/** What `run`, `run --dry-run` and `estimate` take from the flags, every value checked. */
export interface RunSettings {
  options: ResolvedRunOptions;
  format?: (typeof FORMATS)[number];
  priceOverrides?: PriceOverrides;
  assumeOutput?: number;
  maxCostUsd?: number;
  maxErrors?: MaxErrors;
  graceMs?: number;
  metricsIntervalMs?: number;
  outputFormat?: OutputFormat;
  /** `--cache-max-size` and `--cache-ttl`, checked (whether or not the cache is on). */
  cacheLimits: { maxSize?: number; ttl?: number };
}

/**
 * What `run`, `run --dry-run` and `estimate` share: every flag's value checked the same way
 * (a bad one is a `UsageError` in all three, whether or not the command uses it), the pipeline
 * loaded, run options and price overrides resolved. A flag that does not apply to a command is
 * not an error: the command names it in a note (see `ignoredNote`).
 */
export async function loadRunSettings(flags: RunFlags, env: NodeJS.ProcessEnv = {}): Promise<RunSettings> {
  const runInput = parseFlags(flags, env);
  if (flags.format !== undefined && !FORMATS.includes(flags.format as (typeof FORMATS)[number])) {
    throw new UsageError(`--format must be one of ${FORMATS.join(", ")}, got "${flags.format}"`);
  }
  const assumeOutput = flags.assumeOutput === undefined ? undefined : parsePositiveInt("--assume-output", flags.assumeOutput);
  const maxCostUsd = flags.maxCost === undefined ? undefined : parsePositiveNumber("--max-cost", flags.maxCost);
  const maxErrors = flags.maxErrors === undefined ? undefined : parseMaxErrors("--max-errors", flags.maxErrors);
  const graceMs = flags.grace === undefined ? undefined : parseNumberInRange("--grace", flags.grace, 0, 86_400) * 1000;
  const metricsIntervalMs = flags.metricsInterval === undefined ? undefined : Math.round(parseNumberInRange("--metrics-interval", flags.metricsInterval, 0.05, 3600) * 1000);
  const outputFormat = flags.outputFormat === undefined ? undefined : parseOutputFormat(flags.outputFormat);
  const cacheLimits = {
    ...(flags.cacheMaxSize === undefined ? {} : { maxSize: parseSize("--cache-max-size", flags.cacheMaxSize) }),
    ...(flags.cacheTtl === undefined ? {} : { ttl: parseDuration("--cache-ttl", flags.cacheTtl) }),
  };
  // What -o would be written as (an extension llmbatch cannot write, --bom with JSON Lines).
  resultFormat({ path: flags.output, format: outputFormat, bom: flags.bom });
  const pipeline = flags.pipeline ? await loadPipeline(flags.pipeline) : undefined;
  const options = resolveRunOptions(runInput, pipeline);
  const priceOverrides = flags.prices === undefined ? undefined : await loadPriceOverrides(flags.prices);
  return { options, format: flags.format as (typeof FORMATS)[number] | undefined, priceOverrides, assumeOutput, maxCostUsd, maxErrors, graceMs, metricsIntervalMs, outputFormat, cacheLimits };
}

/** The note of `estimate` and `run --dry-run` about the flags they ignore, or undefined for none. */
export function ignoredNote(ignored: readonly string[], command: "estimate" | "run --dry-run"): string | undefined {
  if (ignored.length === 0) return undefined;
  return `note: ${command} ignores ${ignored.join(", ")}: ${ignored.length === 1 ? "it does" : "they do"} not change what the batch would cost or take`;
}

/** `ignored`: the flags given that do not change an estimate, which `--dry-run` names in a note (see options.ts). */
export async function runCommand(input: string, flags: RunFlags, io: CliIO, log: Logger, ignored: readonly string[] = []): Promise<number> {
  const { options, format, priceOverrides, assumeOutput, maxCostUsd, maxErrors, graceMs, metricsIntervalMs, outputFormat, cacheLimits } = await loadRunSettings(flags, io.env);
  if (flags.dryRun) {
    const note = ignoredNote(ignored, "run --dry-run");
    if (note) log.info(note);
    const estimate = await estimateBatch({ input, format, stdin: input === "-" ? io.stdin : undefined, options, priceOverrides, assumeOutputTokens: assumeOutput, onInfo: (m) => log.info(m) });
    // The table is for a human next to a run's stderr; with --json the estimate is data, so stdout.
    if (flags.json) io.stdout.write(`${JSON.stringify(estimate)}\n`);
    else log.stream.write(formatEstimate(estimate, { color: log.color }));
    return 0;
  }
  const estimateOnly = [flags.json && "--json", flags.assumeOutput !== undefined && "--assume-output"].filter((f): f is string => typeof f === "string");
  if (estimateOnly.length > 0) {
    const one = estimateOnly.length === 1;
    log.info(`note: ${estimateOnly.join(" and ")} ${one ? "goes" : "go"} with --dry-run (${one ? "it shapes" : "they shape"} the estimate it prints); a run ignores ${one ? "it" : "them"}`);
  }

  const cache = cacheSetting(flags, options.pipeline, cacheLimits, io.env);
  if (cache === false) {
    const unused = [flags.cacheDir !== undefined && "--cache-dir", flags.cacheMaxSize !== undefined && "--cache-max-size", flags.cacheTtl !== undefined && "--cache-ttl"].filter(
      (f): f is string => typeof f === "string",
    );
    if (unused.length > 0) log.info(`note: ${unused.join(", ")} ${unused.length === 1 ? "has" : "have"} no effect without --cache (or the pipeline's cache: true)`);
  }

  const tpmWarning = unsetMaxTokensWarning(options, flags.tpm !== undefined);
  if (tpmWarning) log.warn(tpmWarning);

  let simulator: SimulatorHandle | undefined;
  let connections = connectionsFromEnv(io.env, options.pipeline);
  if (flags.simulate) {
    // A missing or unreadable input, or results it cannot write, is a usage error before the simulator is started for it.
    if (input !== "-") checkInputFile(input, format);
    // Loaded only when asked for: a real run should not carry the simulator's code.
    const { startSimulator } = await import("../simulator/index.js");
    simulator = await startSimulator({ quiet: true });
    try {
      ({ connections, pipeline: options.pipeline } = simulated(options.pipeline, simulator.url));
    } catch (err) {
      await simulator.close();
      throw err;
    }
    log.info(`using the bundled simulator at ${simulator.url} (no real provider is contacted)`);
  }

  if (!isMainThread) log.verbose(heapLimitLine());
  const signals = interruptSignals(log, graceMs, io.signals);
  const progress = createProgress(log, flags.progress !== false && !flags.quiet, { input, format });
  try {
    const { summary, exitCode, stop } = await runBatch({
      input,
      format,
      // Touched only when used: in the run thread, each opens its file descriptor on first use.
      stdin: input === "-" ? io.stdin : undefined,
      stdinFile: input === "-" ? regularFileOf(io.stdin) : undefined,
      output: flags.output,
      outputFormat,
      csvGuard: flags.csvGuard,
      bom: flags.bom,
      stdout: flags.output === undefined || flags.output === "-" ? io.stdout : undefined,
      summaryPath: flags.summary,
      options,
      priceOverrides,
      maxCostUsd,
      metricsFile: flags.metricsFile,
      metricsIntervalMs,
      reportPath: flags.report,
      cache,
      connections,
      ordered: flags.ordered,
      includeInput: flags.includeInput,
      resume: flags.retryFailed ? "failed" : flags.resume,
      force: flags.force,
      strict: flags.strict,
      maxErrors,
      stopSignal: signals.stop,
      cancelSignal: signals.cancel,
      graceMs: graceMs ?? GRACE_MS,
      onWarning: (m) => log.warn(m),
      onInfo: (m) => log.info(m),
      onResult: (result, metrics, skipped) => {
        progress.update(() => metrics.snapshot(), skipped);
        if (!result.ok) log.verbose(`record ${result.id}: ${result.error.type}: ${result.error.message}`);
      },
    });
    progress.stop();
    if (log.level !== "quiet") log.stream.write(formatSummary(summary, { color: log.color }));
    const stopped = summary.stopped_reason;
    if (stop?.kind === "fatal" || stop?.kind === "max_errors") log.error(`the run stopped: ${stopped}`);
    if (stop?.kind === "output_closed") log.warn(outputClosed(summary));
    if (summary.truncated > 0) log.warn(truncationHint(summary));
    // Also in the table's cost row and the JSON; a note, not a warning, so -q stays quiet about a run that went well.
    if (summary.cost_unknown.attempts > 0) log.info(unknownCostNote(summary));
    if (summary.budget?.exhausted) {
      log.warn(
        `${stopped}; ${summary.not_attempted} records were not attempted (budget_exceeded): run the same command again with --resume and a larger --max-cost to continue (it covers the whole results file, $${summary.budget.spent_usd} spent so far)`,
      );
    } else if (stopped !== null && stop?.kind !== "output_closed" && summary.not_attempted > 0) log.warn(howToFinish(summary.not_attempted, flags.output));
    return exitCode;
  } finally {
    progress.stop();
    signals.dispose();
    await simulator?.close();
  }
}

/** The output closed (`| head`): how many lines went out, and that the requests in flight were still counted. */
function outputClosed(s: RunSummary): string {
  const lines = s.records - s.unwritten;
  const head = `output closed after ${groupDigits(lines)} line${lines === 1 ? "" : "s"}: nothing more was sent`;
  const inFlight = s.in_flight_at_stop ?? 0;
  if (inFlight === 0 && s.unwritten === 0) return head;
  const were = inFlight === 1 ? "1 request was" : `${groupDigits(inFlight)} requests were`;
  return `${head}; ${were} in flight; they may be billed: counted in the summary (${groupDigits(s.unwritten)} result${s.unwritten === 1 ? "" : "s"} counted there have no line)`;
}

/** Answers cut off at max_tokens, and the fix. */
function truncationHint(s: RunSummary): string {
  return `${groupDigits(s.truncated)} answer${s.truncated === 1 ? " was" : "s were"} cut off at max_tokens (finish_reason: length)${truncatedBySteps(s)}; raise max_tokens`;
}

/** Attempts that got no answer: their bill is unknown, and not in the cost. */
function unknownCostNote(s: RunSummary): string {
  const { attempts, worst_case_usd } = s.cost_unknown;
  const n = attempts === 1 ? "1 request" : `${groupDigits(attempts)} requests`;
  return `${n} got no answer (cancelled, timed out or cut off) and may be billed: up to $${worst_case_usd}, counted in the summary as cost_unknown, not in cost_usd`;
}

/**
 * The run thread's heap limit as the README states it: the old generation, which `--max-old-space-size`
 * and our 1,536 MB set. V8's `heap_size_limit` adds the young generation's semi-spaces (48 MB), so
 * it reads 1,584 MB; both are printed so neither figure looks wrong.
 */
function heapLimitLine(): string {
  const totalMb = Math.round(getHeapStatistics().heap_size_limit / 2 ** 20);
  const youngMb = resourceLimits.maxYoungGenerationSizeMb ?? 0;
  return `run thread: JavaScript heap limit ${groupDigits(totalMb - youngMb)} MB (old generation; V8 reports ${groupDigits(totalMb)} MB with the ${youngMb} MB young generation)`;
}

/** What to run next after a run that stopped early (interrupt, fatal error, --max-errors). */
function howToFinish(notAttempted: number, output: string | undefined): string {
  const what = `${groupDigits(notAttempted)} record${notAttempted === 1 ? " was" : "s were"} not attempted`;
  if (output === undefined || output === "-") return `${what}; the results went to stdout, which cannot be resumed: next time use -o <file>, then --resume`;
  return `${what}; to finish them, run the same command again with --resume added (records already done in ${output} are skipped)`;
}

/** `--cache` / `--no-cache` win over the pipeline's `cache:`; off by default. */
function cacheSetting(flags: RunFlags, pipeline: Pipeline, limits: RunSettings["cacheLimits"], env: NodeJS.ProcessEnv): CacheOptions | false {
  if (!(flags.cache ?? pipeline.cache ?? false)) return false;
  return { dir: flags.cacheDir ?? defaultCacheDir(env), maxSize: limits.maxSize, ttl: limits.ttl };
}

function parseFlags(f: RunFlags, env: NodeJS.ProcessEnv): RunOptionsInput {
  const int = (name: string, raw: string | undefined) => (raw === undefined ? undefined : parsePositiveInt(name, raw));
  const maxRetries = f.maxRetries === undefined ? undefined : parseNumberInRange("--max-retries", f.maxRetries, 0, 100);
  if (maxRetries !== undefined && !Number.isInteger(maxRetries)) throw new UsageError(`--max-retries must be a whole number from 0 to 100, got "${f.maxRetries}"`);
  return {
    model: f.model,
    provider: f.provider,
    baseUrl: f.baseUrl,
    concurrency: int("--concurrency", f.concurrency),
    rpm: int("--rpm", f.rpm),
    tpm: int("--tpm", f.tpm),
    maxRetries,
    timeoutSeconds: f.timeout === undefined ? undefined : parseNumberInRange("--timeout", f.timeout, 0.001, 86_400),
    template: f.template,
    maxTokens: int("--max-tokens", f.maxTokens),
    temperature: f.temperature === undefined ? undefined : parseNumberInRange("--temperature", f.temperature, 0, 2),
    delimiter: f.delimiter === undefined ? undefined : parseDelimiterFlag("--delimiter", f.delimiter),
    encoding: f.encoding === undefined ? undefined : parseEncoding("--encoding", f.encoding),
    redis: redisFlag(f.redis, env),
    batch: f.batch,
    batchSize: int("--batch-size", f.batchSize),
    batchMaxMb: f.batchMaxMb === undefined ? undefined : parsePositiveNumber("--batch-max-mb", f.batchMaxMb),
    pollIntervalSeconds: f.pollInterval === undefined ? undefined : parseNumberInRange("--poll-interval", f.pollInterval, 0.01, 86_400),
    batchFallback: f.batchFallback as "sync" | "none" | undefined,
    batchMaxEnqueuedTokens: int("--batch-max-enqueued-tokens", f.batchMaxEnqueuedTokens),
  };
}

/** `--redis`, else `LLMBATCH_REDIS_URL` (an empty one is unset), checked under the name it was given by. */
function redisFlag(flag: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (flag !== undefined) return checkRedisUrl("--redis", flag);
  const fromEnv = env[REDIS_URL_ENV];
  return fromEnv === undefined || fromEnv === "" ? undefined : checkRedisUrl(REDIS_URL_ENV, fromEnv);
}

/**
 * The regular file a stream reads from by its descriptor (stdin redirected from a file, `< in.jsonl`),
 * or undefined for a pipe, a terminal or a stream without a descriptor.
 */
function regularFileOf(stream: NodeJS.ReadableStream): FileIdentity | undefined {
  const fd = (stream as { fd?: unknown }).fd;
  if (typeof fd !== "number") return undefined;
  const stats = fstatSync(fd);
  return stats.isFile() ? { dev: stats.dev, ino: stats.ino } : undefined;
}

/**
 * API keys come from the environment only, never from flags that land in shell history: each
 * kind's own variables (OPENAI_API_KEY, OPENAI_BASE_URL, OLLAMA_HOST) for its default endpoint,
 * and a named endpoint's `api_key_env` for that endpoint.
 */
export function connectionsFromEnv(env: NodeJS.ProcessEnv, pipeline: Pipeline): ProviderConnections {
  const read = (name: string | undefined) => (name === undefined ? undefined : env[name] || undefined);
  const connections: ProviderConnections = {};
  for (const kind of providerKinds()) connections[kind.name] = { apiKey: read(kind.env?.apiKey), baseUrl: read(kind.env?.baseUrl) };
  for (const [name, endpoint] of Object.entries(pipeline.endpoints ?? {})) connections[name] = { apiKey: read(endpoint.api_key_env) };
  return connections;
}

/**
 * `--simulate`: every endpoint, the kinds' default ones and the pipeline's named ones, points at
 * the bundled simulator, so no real provider is contacted whatever the pipeline says.
 */
function simulated(pipeline: Pipeline, simulatorUrl: string): { connections: ProviderConnections; pipeline: Pipeline } {
  const at = (kindName: string, endpoint: string): string => {
    const url = providerKind(kindName).simulated?.(simulatorUrl);
    if (url === undefined) throw new UsageError(`--simulate: the bundled simulator does not speak provider "${kindName}" (endpoint "${endpoint}")`);
    return url;
  };
  const connections: ProviderConnections = {};
  for (const kind of providerKinds()) {
    const url = kind.simulated?.(simulatorUrl);
    if (url !== undefined) connections[kind.name] = { apiKey: "sk-simulator", baseUrl: url };
  }
  const endpoints = Object.fromEntries(
    Object.entries(pipeline.endpoints ?? {}).map(([name, e]) => {
      connections[name] = { apiKey: "sk-simulator" };
      return [name, { ...e, base_url: at(e.provider, name) }];
    }),
  );
  return { connections, pipeline: { ...pipeline, base_url: undefined, ...(pipeline.endpoints ? { endpoints } : {}) } };
}
