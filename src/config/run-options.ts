/**
 * The one merge of run settings: command-line flags override the pipeline file, which overrides
 * the built-in defaults. Also the flag parsers the CLI uses, so flag messages share one wording.
 */
import { type CompiledTemplate, compileTemplate, TemplateError } from "../lang/template.js";
import { UsageError } from "../errors.js";
import { DELIMITER_RULE, parseDelimiter } from "../io/input-sniff.js";
import { parseEncoding, type InputEncoding } from "../io/text-encoding.js";
import { isProviderName, providerNames } from "../providers/detect.js";
import type { ProviderName } from "../types.js";
import { checkRedisUrl } from "./redis-url.js";
import { defaultPipeline, type InputSettings, type Pipeline } from "./pipeline.js";
import type { BatchSettings } from "../batch/collector.js";

export const DEFAULT_BATCH_SIZE = 50_000;
export const DEFAULT_BATCH_MAX_MB = 200;
export const DEFAULT_POLL_SECONDS = 60;

/** Settings the CLI parsed from flags. Every field is optional: absent means "not given". */
export interface RunOptionsInput {
  /** `--model`: overrides the pipeline's top-level model (a step's own `model` still wins for that step). */
  model?: string;
  /** `--provider`. */
  provider?: ProviderName;
  /** `--base-url`. */
  baseUrl?: string;
  /** `--concurrency`: requests in flight. @default 16 */
  concurrency?: number;
  /** `--rpm`: client-side requests-per-minute limit. */
  rpm?: number;
  /** `--tpm`: client-side tokens-per-minute limit. */
  tpm?: number;
  /** `--max-retries`: retries after the first attempt. @default 5 */
  maxRetries?: number;
  /** `--timeout`: per-attempt timeout in seconds. @default 120 */
  timeoutSeconds?: number;
  /** `--template`: prompt template replacing the single generate step's prompt. */
  template?: string;
  /** `--max-tokens`: overrides the pipeline's top-level `params.max_tokens`. */
  maxTokens?: number;
  /** `--temperature`: overrides the pipeline's top-level `params.temperature`. */
  temperature?: number;
  /** `--delimiter`: the CSV cell delimiter, one character; overrides the pipeline's `input.delimiter`. */
  delimiter?: string;
  /** `--encoding`: the input's text encoding; overrides the pipeline's `input.encoding`. */
  encoding?: InputEncoding;
  /**
   * `--redis` (or `LLMBATCH_REDIS_URL`): the Redis every process naming it shares its quotas
   * through, `redis://[user:password@]host[:port][/db]` or `rediss://…`. @default each process alone
   */
  redis?: string;
  /** `--batch`: run every LLM call through the provider's Batch API (as the pipeline's `mode: batch`). */
  batch?: boolean;
  /** `--batch-size`: requests per batch at most. @default 50000 */
  batchSize?: number;
  /** `--batch-max-mb`: MB per batch input file at most. @default 200 */
  batchMaxMb?: number;
  /** `--poll-interval`: seconds between polls of a running batch. @default 60 */
  pollIntervalSeconds?: number;
  /** `--batch-fallback`: `sync` retries a batch's failures (expired, cancelled) synchronously. @default "none" */
  batchFallback?: "sync" | "none";
  /** `--batch-max-enqueued-tokens`: prompt tokens per model waiting in batches at once at most. @default unlimited */
  batchMaxEnqueuedTokens?: number;
}

export interface ResolvedRunOptions {
  /**
   * A copy with flags applied. `model` is the flag's or the pipeline's; absent when neither gives
   * one, and then `stepModel` applies `DEFAULT_MODEL` (kept apart so a line's own model can be
   * told from a model the user asked for). The caller's pipeline is not modified.
   */
  pipeline: Pipeline;
  /** @default 16 */
  concurrency: number;
  rpm?: number;
  tpm?: number;
  /** @default 5 */
  maxRetries: number;
  /** @default 120_000 */
  timeoutMs: number;
  /** How the input is read: the pipeline's `input` with `--delimiter` and `--encoding` applied. @default {} */
  input: InputSettings;
  /** The Redis the run's quotas are shared through (see `RunOptionsInput.redis`); absent: in memory. */
  redis?: string;
  /** Set when the run goes through the provider's Batch API (`--batch`, `mode: batch`). */
  batch?: BatchSettings;
}

export const DEFAULT_CONCURRENCY = 16;
export const DEFAULT_MAX_RETRIES = 5;
export const DEFAULT_TIMEOUT_MS = 120_000;

export function resolveRunOptions(flags: RunOptionsInput, pipeline: Pipeline | undefined): ResolvedRunOptions {
  checkFlagValues(flags);
  const resolved: Pipeline = structuredClone(pipeline ?? defaultPipeline());
  if (flags.template !== undefined) applyTemplate(resolved, flags.template, pipeline === undefined);

  if (flags.model !== undefined) resolved.model = flags.model;
  if (flags.provider !== undefined) {
    const endpoints = Object.keys(resolved.endpoints ?? {});
    if (!isProviderName(flags.provider) && !endpoints.includes(flags.provider)) {
      const known = [...providerNames(), ...endpoints].map((n) => `"${n}"`).join(", ");
      throw new UsageError(`--provider: "${flags.provider}" is neither a provider nor an endpoint of the pipeline (expected one of ${known})`);
    }
    resolved.provider = flags.provider;
  }
  if (flags.baseUrl !== undefined) resolved.base_url = flags.baseUrl;
  if (flags.maxTokens !== undefined) resolved.params.max_tokens = flags.maxTokens;
  if (flags.temperature !== undefined) resolved.params.temperature = flags.temperature;
  if (flags.rpm !== undefined) resolved.limits.rpm = flags.rpm;
  if (flags.tpm !== undefined) resolved.limits.tpm = flags.tpm;
  if (flags.concurrency !== undefined) resolved.limits.concurrency = flags.concurrency;
  if (flags.delimiter !== undefined) resolved.input = { ...resolved.input, delimiter: parseDelimiter(flags.delimiter) };
  if (flags.encoding !== undefined) resolved.input = { ...resolved.input, encoding: parseEncoding("encoding", flags.encoding) };

  const out: ResolvedRunOptions = {
    pipeline: resolved,
    concurrency: resolved.limits.concurrency ?? DEFAULT_CONCURRENCY,
    maxRetries: flags.maxRetries ?? DEFAULT_MAX_RETRIES,
    timeoutMs: flags.timeoutSeconds === undefined ? DEFAULT_TIMEOUT_MS : Math.round(flags.timeoutSeconds * 1000),
    input: { ...resolved.input },
  };
  if (flags.batch) resolved.mode = "batch";
  if (resolved.mode === "batch") {
    out.batch = {
      size: flags.batchSize ?? DEFAULT_BATCH_SIZE,
      maxBytes: Math.round((flags.batchMaxMb ?? DEFAULT_BATCH_MAX_MB) * 1_000_000),
      pollMs: Math.round((flags.pollIntervalSeconds ?? DEFAULT_POLL_SECONDS) * 1000),
      maxEnqueuedTokens: flags.batchMaxEnqueuedTokens,
      fallbackSync: flags.batchFallback === "sync",
    };
    if (out.batch.size > DEFAULT_BATCH_SIZE) throw new UsageError(`--batch-size must be at most ${DEFAULT_BATCH_SIZE} (the Batch API's limit), got ${out.batch.size}`);
    if (out.batch.maxBytes > DEFAULT_BATCH_MAX_MB * 1_000_000) throw new UsageError(`--batch-max-mb must be at most ${DEFAULT_BATCH_MAX_MB} (the Batch API's limit), got ${flags.batchMaxMb}`);
  }
  if (resolved.limits.rpm !== undefined) out.rpm = resolved.limits.rpm;
  if (resolved.limits.tpm !== undefined) out.tpm = resolved.limits.tpm;
  if (flags.redis !== undefined) out.redis = checkRedisUrl("redis", flags.redis);
  return out;
}

function applyTemplate(p: Pipeline, template: string, isDefault: boolean): void {
  let placeholders: CompiledTemplate["placeholders"];
  try {
    placeholders = compileTemplate(template).placeholders;
  } catch (e) {
    if (e instanceof TemplateError) throw new UsageError(`--template: ${e.message}`);
    throw e;
  }
  // The template becomes the first (only) step, so there is no earlier step output to read.
  const stepRef = placeholders.find((p) => p.segments[0] === "steps");
  if (stepRef !== undefined) throw new UsageError(`--template cannot reference {{${stepRef.path}}}: it replaces the only step`);
  const [step, ...rest] = p.steps;
  if (step === undefined || rest.length > 0) {
    throw new UsageError(`--template replaces the prompt of a single-step pipeline, but ${p.file ?? `pipeline "${p.name}"`} has ${p.steps.length} steps; edit the pipeline file instead`);
  }
  // `step.method` is always "generate" today; this check is here for when the union grows.
  if (step.method !== "generate") throw new UsageError(`--template needs a generate step, but step "${step.id}" is ${step.method}`);
  step.prompt = template;
  // One source of the conversation: the template replaces a messages list too (system is kept).
  delete step.messages;
  if (isDefault) step.usesRecordMessages = false;
  else delete step.usesRecordMessages;
}

/** Library callers bypass the CLI parsers, so the merged values are checked here once more. */
function checkFlagValues(flags: RunOptionsInput): void {
  const positiveInts = { concurrency: flags.concurrency, rpm: flags.rpm, tpm: flags.tpm, maxTokens: flags.maxTokens };
  for (const [name, v] of Object.entries(positiveInts)) {
    if (v !== undefined && !(Number.isSafeInteger(v) && v > 0)) throw new UsageError(`${name} must be a positive integer, got ${String(v)}`);
  }
  const r = flags.maxRetries;
  if (r !== undefined && !(Number.isSafeInteger(r) && r >= 0)) throw new UsageError(`maxRetries must be a non-negative integer, got ${String(r)}`);
  const t = flags.timeoutSeconds;
  if (t !== undefined && !(Number.isFinite(t) && t > 0)) throw new UsageError(`timeoutSeconds must be a positive number, got ${String(t)}`);
  const temp = flags.temperature;
  if (temp !== undefined && !(temp >= 0 && temp <= 2)) throw new UsageError(`temperature must be a number between 0 and 2, got ${String(temp)}`);
  if (flags.delimiter !== undefined && parseDelimiter(flags.delimiter) === undefined) throw new UsageError(`delimiter must be ${DELIMITER_RULE}, got ${JSON.stringify(flags.delimiter)}`);
  for (const [name, v] of Object.entries({ model: flags.model, baseUrl: flags.baseUrl })) {
    if (v !== undefined && v.trim() === "") throw new UsageError(`${name} must be a non-empty string, got ""`);
  }
}

const INTEGER = /^[0-9]+$/;
const DECIMAL = /^[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?$/;

/** Parses a flag that must be a positive integer: `--rpm must be a positive integer, got "ten"`. */
export function parsePositiveInt(name: string, raw: string): number {
  const v = INTEGER.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(v) || v <= 0) throw new UsageError(`${name} must be a positive integer, got ${JSON.stringify(raw)}`);
  return v;
}

/** Parses a flag that may be zero (`--max-retries 0` turns retries off). */
export function parseNonNegativeInt(name: string, raw: string): number {
  const v = INTEGER.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!Number.isSafeInteger(v)) throw new UsageError(`${name} must be a non-negative integer, got ${JSON.stringify(raw)}`);
  return v;
}

/** Parses a number flag within `[min, max]` (inclusive): `--temperature must be a number between 0 and 2, got "3"`. */
export function parseNumberInRange(name: string, raw: string, min: number, max: number): number {
  // Number("") is 0 and Number("0x10") is 16; only plain decimal notation is a number here.
  const v = DECIMAL.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(v >= min && v <= max)) throw new UsageError(`${name} must be a number between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  return v;
}

/** Parses `--delimiter`: `;`, `|`, `\t` or `tab`. */
export function parseDelimiterFlag(name: string, raw: string): string {
  const delimiter = parseDelimiter(raw);
  if (delimiter === undefined) throw new UsageError(`${name} must be ${DELIMITER_RULE}, got ${JSON.stringify(raw)}`);
  return delimiter;
}

/** Parses a positive number flag such as `--timeout 2.5`. */
export function parsePositiveNumber(name: string, raw: string): number {
  const v = DECIMAL.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(Number.isFinite(v) && v > 0)) throw new UsageError(`${name} must be a positive number, got ${JSON.stringify(raw)}`);
  return v;
}
