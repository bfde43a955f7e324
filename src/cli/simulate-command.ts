import { parseNumberInRange, parsePositiveInt } from "../config/run-options.js";
import { UsageError } from "../errors.js";
import { startSimulator, type SimulatorOptions } from "../simulator/index.js";
import type { CliIO } from "./main.js";
import type { Logger } from "./logger.js";

export interface SimulateFlags {
  port?: string;
  rpm?: string;
  tpm?: string;
  latencyMs?: string;
  failRate?: string;
  seed?: string;
  apiKey?: string;
  models?: string;
  batchValidatingMs?: string;
  batchLinesPerSecond?: string;
  batchFinalizingMs?: string;
  batchWindowMs?: string;
  batchMaxRequests?: string;
  batchEnqueuedTokenLimit?: string;
  batchLineFailRate?: string;
  batchDropCreates?: string;
}

/**
 * The simulator's Batch API flags (docs/simulator-batch.md), as [commander flag, help] pairs for
 * `llmbatch simulate` to declare; `simulatorOptions` reads them back from `SimulateFlags`.
 */
export const BATCH_SIMULATE_OPTIONS: readonly (readonly [string, string])[] = [
  ["--batch-validating-ms <n>", "time a batch spends validating (default 100)"],
  ["--batch-lines-per-second <n>", "batch lines run per second once in progress (default 2000)"],
  ["--batch-finalizing-ms <n>", "time a batch spends finalizing (default 100)"],
  ["--batch-window-ms <n>", "completion window: a batch still running after it expires with partial results (default 24 h)"],
  ["--batch-max-requests <n>", "most lines in one batch; more fails validation (default 50000)"],
  ["--batch-enqueued-token-limit <n>", "enqueued prompt tokens allowed per model; beyond it a batch fails with token_limit_exceeded (default unlimited)"],
  ["--batch-line-fail-rate <p>", "fraction of batch lines answered 500 in the error file (0 to 1)"],
  ["--batch-drop-creates <n>", "the first n batch creates make the batch, then drop the connection (the double-create trap)"],
];

/** `llmbatch simulate`: serves until SIGINT/SIGTERM, then prints what it served. */
export async function simulateCommand(flags: SimulateFlags, io: CliIO, log: Logger): Promise<number> {
  const options = simulatorOptions(flags);
  const sim = await startSimulator(options);
  io.stdout.write(`${sim.url}\n`);
  log.info(`llmbatch simulator listening on ${sim.url}`);
  log.info(`  OpenAI-compatible: OPENAI_BASE_URL=${sim.openaiBaseUrl}  (any OPENAI_API_KEY${options.apiKey ? " equal to --api-key" : ""}; chat, embeddings, Files and Batches)`);
  log.info(`  Ollama-compatible: OLLAMA_HOST=${sim.ollamaHost}`);
  log.info(options.models ? `  models: only ${options.models.join(", ")} (others get 404 model_not_found)` : "  models: any name");
  log.info("  press Ctrl-C to stop");
  await new Promise<void>((resolve) => {
    process.once("SIGINT", resolve);
    process.once("SIGTERM", resolve);
  });
  const stats = sim.stats();
  await sim.close();
  log.info(`served ${stats.requests} requests: ${stats.ok} ok, ${stats.rateLimited} rate-limited, status counts ${JSON.stringify(stats.byStatus)}`);
  if (stats.batch.created.length > 0) log.info(`batches: ${stats.batch.created.length} created, ${stats.batch.linesOk} lines ok, ${stats.batch.linesFailed} failed`);
  return 0;
}

export function simulatorOptions(flags: SimulateFlags): SimulatorOptions {
  const options: SimulatorOptions = {};
  if (flags.port !== undefined) options.port = parseNumberInRange("--port", flags.port, 0, 65_535);
  if (flags.rpm !== undefined) options.rpm = parsePositiveInt("--rpm", flags.rpm);
  if (flags.tpm !== undefined) options.tpm = parsePositiveInt("--tpm", flags.tpm);
  if (flags.latencyMs !== undefined) options.latencyMs = parseRange("--latency-ms", flags.latencyMs);
  if (flags.failRate !== undefined) options.faults = { server500: parseNumberInRange("--fail-rate", flags.failRate, 0, 1) };
  if (flags.seed !== undefined) options.seed = parseNumberInRange("--seed", flags.seed, 0, 2 ** 32 - 1);
  if (flags.apiKey !== undefined) options.apiKey = flags.apiKey;
  if (flags.models !== undefined) options.models = parseModelList(flags.models);
  const batch = batchOptions(flags);
  if (Object.keys(batch).length > 0) options.batch = batch;
  return options;
}

function batchOptions(flags: SimulateFlags): NonNullable<SimulatorOptions["batch"]> {
  const batch: NonNullable<SimulatorOptions["batch"]> = {};
  const ms = (name: string, raw: string) => parseNumberInRange(name, raw, 0, 2 ** 31 - 1);
  if (flags.batchValidatingMs !== undefined) batch.validatingMs = ms("--batch-validating-ms", flags.batchValidatingMs);
  if (flags.batchLinesPerSecond !== undefined) batch.linesPerSecond = parseNumberInRange("--batch-lines-per-second", flags.batchLinesPerSecond, 0.001, 1e9);
  if (flags.batchFinalizingMs !== undefined) batch.finalizingMs = ms("--batch-finalizing-ms", flags.batchFinalizingMs);
  if (flags.batchWindowMs !== undefined) batch.completionWindowMs = parsePositiveInt("--batch-window-ms", flags.batchWindowMs);
  if (flags.batchMaxRequests !== undefined) batch.maxRequests = parsePositiveInt("--batch-max-requests", flags.batchMaxRequests);
  if (flags.batchEnqueuedTokenLimit !== undefined) batch.enqueuedTokenLimit = parsePositiveInt("--batch-enqueued-token-limit", flags.batchEnqueuedTokenLimit);
  if (flags.batchLineFailRate !== undefined) batch.lineFailureRate = parseNumberInRange("--batch-line-fail-rate", flags.batchLineFailRate, 0, 1);
  if (flags.batchDropCreates !== undefined) batch.faults = { createDroppedFirst: parsePositiveInt("--batch-drop-creates", flags.batchDropCreates) };
  return batch;
}

function parseModelList(raw: string): string[] {
  const names = raw.split(",").map((n) => n.trim());
  if (names.some((n) => n === "")) throw new UsageError(`--models must be a comma-separated list of model names, got "${raw}"`);
  return names;
}

function parseRange(name: string, raw: string): [number, number] {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(?:\.\.\s*(\d+(?:\.\d+)?)\s*)?$/.exec(raw);
  if (!m) throw new UsageError(`${name} must be a number of milliseconds or a range like 100..400, got "${raw}"`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (b < a) throw new UsageError(`${name} range must go from low to high, got "${raw}"`);
  return [a, b];
}
