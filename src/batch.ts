import { writeFile, rename } from "node:fs/promises";
import type { Pipeline } from "./config/pipeline.js";
import { DEFAULT_MODEL, type ResolvedRunOptions } from "./config/run-options.js";
import { GenerationEngine } from "./engine/engine.js";
import type { RetryTiming } from "./engine/retry.js";
import { UsageError } from "./errors.js";
import { dedupeIds } from "./io/dedupe.js";
import { openInput } from "./io/open-input.js";
import { createResultWriter } from "./io/result-writer.js";
import { MetricsRecorder } from "./metrics/metrics-recorder.js";
import { SummaryBuilder, type RunSummary } from "./metrics/summary.js";
import { createProvider } from "./providers/create.js";
import { resolveModel } from "./providers/detect.js";
import { loadPriceTable, type PriceTable } from "./providers/prices.js";
import type { GenerationResult, ProviderName } from "./types.js";

/** Where each provider lives. The CLI fills it from flags and the environment. */
export interface ProviderConnections {
  openai?: { apiKey?: string; baseUrl?: string };
  ollama?: { host?: string };
}

export interface BatchConfig {
  /** Input file, or "-" for `stdin`. */
  input: string;
  format?: "jsonl" | "csv" | "tsv";
  stdin?: NodeJS.ReadableStream;
  /** Results file (.jsonl or .csv); undefined or "-" writes JSONL to `stdout`. */
  output?: string;
  stdout?: NodeJS.WritableStream;
  /** Also write the summary as JSON here. */
  summaryPath?: string;
  options: ResolvedRunOptions;
  connections: ProviderConnections;
  ordered?: boolean;
  includeInput?: boolean;
  prices?: PriceTable;
  retryTiming?: RetryTiming;
  /** Aborting it stops admission (first Ctrl-C); in-flight records finish. */
  stopSignal?: AbortSignal;
  /** Aborting it cancels in-flight requests (second Ctrl-C). */
  cancelSignal?: AbortSignal;
  onWarning?(message: string): void;
  /** Called after each result is written (progress bars, live views). */
  onResult?(result: GenerationResult, metrics: MetricsRecorder): void;
}

export interface BatchOutcome {
  summary: RunSummary;
  exitCode: number;
}

/** Exit codes, a contract for shell scripts and cron (see README). */
export const EXIT = { ok: 0, someFailed: 1, usage: 2, fatal: 3, interrupted: 130 } as const;

/**
 * Runs a whole batch: input reader → engine (gates, providers, retries) → writer → summary.
 * One result line per input record; the summary's figures are the sum of those lines.
 */
export async function runBatch(config: BatchConfig): Promise<BatchOutcome> {
  const { options } = config;
  const input = openInput(config.input, { format: config.format, stdin: config.stdin });
  const metrics = new MetricsRecorder();
  const summary = new SummaryBuilder();
  const warned = new Set<string>();
  const engine = new GenerationEngine({
    pipeline: options.pipeline,
    provider: (name) => createProvider(providerSettings(name, options.pipeline, config.connections)),
    prices: config.prices ?? loadPriceTable(),
    concurrency: options.concurrency,
    rpm: options.rpm,
    tpm: options.tpm,
    maxRetries: options.maxRetries,
    timeoutMs: options.timeoutMs,
    retryTiming: config.retryTiming,
    ordered: config.ordered,
    includeInput: config.includeInput,
    stopSignal: config.stopSignal,
    cancelSignal: config.cancelSignal,
    inputName: input.name,
    observer: {
      attemptStarted: () => metrics.requestStarted(),
      attemptFinished: (response) => metrics.requestFinished(response ? response.usage.input_tokens + response.usage.output_tokens : 0),
    },
    onUnpricedModel: (model) => {
      if (warned.has(model)) return;
      warned.add(model);
      config.onWarning?.(`no price known for model "${model}": its cost is reported as null (add it with a price table)`);
    },
  });

  const started = performance.now();
  const writer = await createResultWriter({ path: config.output, stdout: config.stdout, includeInput: config.includeInput });
  let records = 0;
  try {
    for await (const result of engine.run(dedupeIds(input.items))) {
      records++;
      await writer.write(result);
      summary.add(result);
      metrics.recordDone(result.ok);
      config.onResult?.(result, metrics);
    }
  } finally {
    await writer.close();
  }
  if (records === 0) throw new UsageError(`${input.name}: no records found (the input is empty)`);

  const stopReason = engine.stopReason;
  const built = summary.build({ exitCode: 0, stoppedReason: stopReason ?? null, wallMs: performance.now() - started });
  const exitCode = exitCodeFor(stopReason, built);
  built.exit_code = exitCode;
  if (config.summaryPath) await writeJsonFile(config.summaryPath, built);
  return { summary: built, exitCode };
}

function exitCodeFor(stopReason: string | undefined, summary: RunSummary): number {
  if (stopReason === "interrupted") return EXIT.interrupted;
  if (stopReason?.startsWith("fatal")) return EXIT.fatal;
  return summary.ok === summary.records ? EXIT.ok : EXIT.someFailed;
}

/** The pipeline's base URL belongs to the provider of its top-level model; others use their defaults. */
export function providerSettings(name: ProviderName, pipeline: Pipeline, connections: ProviderConnections) {
  const main = resolveModel(pipeline.model ?? DEFAULT_MODEL, pipeline.provider).provider;
  const baseUrl = main === name ? pipeline.base_url : undefined;
  if (name === "ollama") return { provider: name, baseUrl: baseUrl ?? connections.ollama?.host };
  return { provider: name, baseUrl: baseUrl ?? connections.openai?.baseUrl, apiKey: connections.openai?.apiKey };
}

async function writeJsonFile(path: string, value: unknown): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, `${JSON.stringify(value, null, 2)}\n`);
  await rename(tmp, path);
}
