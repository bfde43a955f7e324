import type { RunIdentity } from "../config/fingerprint.js";
import { UsageError } from "../errors.js";
import { readStateFile, writeFileAtomic } from "./atomic-file.js";
import { OUTPUT_FORMATS, type OutputFormat } from "./result-writer.js";

/**
 * The sidecar next to a results file, `<output>.meta.json`, saying which run configuration
 * produced it, so `--resume` can refuse to mix results of two different pipelines or models.
 *
 * A sidecar rather than a header line: the results file keeps exactly one JSON object per line,
 * one line per record, so `jq`, `wc -l` and CSV readers see nothing but results.
 */
export interface RunMeta extends RunIdentity {
  /** Format version of this file. */
  llmbatch_meta: 1;
  /** When the results file was started (ISO 8601). */
  created_at: string;
  /**
   * USD spent on the results file so far, over every run that wrote to it (what `--max-cost`
   * counts on a resume). Absent until a run records it.
   */
  spent_usd?: number;
  /**
   * How the ids of records without one were made: `ID_RULE` (2, content ids) from this version
   * on; absent in sidecars of earlier versions, which used line numbers.
   */
  id_rule?: number;
  /**
   * What the results file is written as. Absent in sidecars of earlier versions (the format was
   * then the `-o` extension's).
   */
  output_format?: OutputFormat;
  /**
   * CSV and TSV files: whether text a spreadsheet would run as a formula got the `'` guard (false
   * with `--no-csv-guard`). Absent in sidecars of earlier versions: the default, true.
   */
  csv_guard?: boolean;
}

/** How a results file is written, which a resume must keep: the sidecar records it. */
export interface OutputSettings {
  format: OutputFormat;
  /** For CSV and TSV. @default true */
  csvGuard?: boolean;
}

/** What `writeRunMeta` records besides the run's identity. */
export interface MetaExtras {
  /** When the results file was started. @default now */
  createdAt?: Date;
  /** What the results file has cost so far (see `RunMeta.spent_usd`). */
  spentUsd?: number;
  settings?: OutputSettings;
}

/** The id rule this version writes: a record without an id is identified by its content (content-id.ts). */
export const ID_RULE = 2;

export function metaPath(output: string): string {
  return `${output}.meta.json`;
}

/** Writes the sidecar atomically (temp file + rename), with the user's umask; returns what it wrote. */
export async function writeRunMeta(output: string, identity: RunIdentity, extras: MetaExtras = {}): Promise<RunMeta> {
  const meta: RunMeta = { llmbatch_meta: 1, ...identity, created_at: (extras.createdAt ?? new Date()).toISOString(), id_rule: ID_RULE };
  if (extras.spentUsd !== undefined) meta.spent_usd = extras.spentUsd;
  if (extras.settings !== undefined) {
    meta.output_format = extras.settings.format;
    if (extras.settings.format !== "jsonl") meta.csv_guard = extras.settings.csvGuard ?? true;
  }
  await writeMeta(output, meta);
  return meta;
}

/** Records what the results file has cost so far in its sidecar `meta` (atomically). */
export async function writeSpent(output: string, meta: RunMeta, spentUsd: number): Promise<void> {
  await writeMeta(output, { ...meta, spent_usd: spentUsd });
}

async function writeMeta(output: string, meta: RunMeta): Promise<void> {
  const path = metaPath(output);
  try {
    await writeFileAtomic(path, `${JSON.stringify(meta, null, 2)}\n`);
  } catch (err) {
    throw new UsageError(`cannot write "${path}": ${(err as Error).message}`);
  }
}

/** The sidecar of `output`, or undefined when there is none. */
export async function readRunMeta(output: string): Promise<RunMeta | undefined> {
  const path = metaPath(output);
  const text = await readStateFile(path);
  if (text === undefined) return undefined;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw notADescription(path, "it is not JSON");
  }
  const problem = shapeProblem(value);
  if (problem !== undefined) throw notADescription(path, problem);
  return value as RunMeta;
}

function notADescription(path: string, why: string): UsageError {
  return new UsageError(`"${path}" is not an llmbatch run description (${why}); delete it and resume with --force, or write to a new -o file`);
}

/** Each field of a sidecar and what its value must be; `optional` ones may be left out. */
const FIELDS: Readonly<Record<string, { expected: string; optional?: true; check(v: unknown): boolean }>> = {
  llmbatch_meta: { expected: "1", check: (v) => v === 1 },
  fingerprint: { expected: "a non-empty string", check: (v) => typeof v === "string" && v !== "" },
  pipeline: { expected: "a string", check: (v) => typeof v === "string" },
  models: { expected: "a list of strings", check: (v) => Array.isArray(v) && v.every((m) => typeof m === "string") },
  created_at: { expected: "a date (ISO 8601 string)", check: (v) => typeof v === "string" && !Number.isNaN(Date.parse(v)) },
  spent_usd: { expected: "a number >= 0", optional: true, check: (v) => typeof v === "number" && Number.isFinite(v) && v >= 0 },
  id_rule: { expected: "an integer", optional: true, check: (v) => Number.isInteger(v) },
  output_format: { expected: OUTPUT_FORMATS.map((f) => JSON.stringify(f)).join(" or "), optional: true, check: (v) => (OUTPUT_FORMATS as readonly unknown[]).includes(v) },
  csv_guard: { expected: "true or false", optional: true, check: (v) => typeof v === "boolean" },
};

/**
 * What is wrong with a parsed sidecar, naming the field, or undefined when it has the shape of a
 * `RunMeta`: every field present (unless optional) and of the right type, so a hand edit or
 * another tool's file is refused up front rather than crashing the resume half way. Fields it does
 * not know are left alone: a later llmbatch may add some without changing what these mean.
 */
function shapeProblem(value: unknown): string | undefined {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return `expected a JSON object, got ${kind(value)}`;
  const meta = value as Record<string, unknown>;
  for (const [name, field] of Object.entries(FIELDS)) {
    if (!Object.hasOwn(meta, name)) {
      if (!field.optional) return `"${name}" is missing`;
    } else if (!field.check(meta[name])) return `"${name}" must be ${field.expected}, got ${shown(meta[name])}`;
  }
  return undefined;
}

function kind(value: unknown): string {
  return value === null ? "null" : Array.isArray(value) ? "a list" : typeof value;
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/**
 * Throws a `UsageError` when the results in `output` came from another configuration (or from
 * an unknown one) and `force` is off; says what differs.
 */
export function checkSameRun(output: string, existing: RunMeta | undefined, current: RunIdentity, force: boolean): void {
  if (force) return;
  if (existing === undefined) {
    throw new UsageError(`cannot resume "${output}": there is no "${metaPath(output)}" saying which pipeline and model produced it; pass --force to resume anyway`);
  }
  if (existing.fingerprint === current.fingerprint) return;
  const was = describe(existing);
  const now = describe(current);
  const what = was === now ? `the same pipeline name and models, but different steps, prompts or params` : `${was}, not ${now}`;
  throw new UsageError(`cannot resume "${output}": it was produced by ${what}. Resume with the original configuration, write to a new -o file, or pass --force to mix them`);
}

/**
 * Throws a `UsageError` when the ids in `output` may have been made by another rule than this
 * version's, unless `force`: a sidecar with an id rule this version does not know, or one from
 * before id rules (line-number ids for records without one) when the file has an id spelled like
 * a line number (`numericId`), which could be such an id. Mixing the rules would rerun records
 * that are done, or skip one that is not.
 */
export function checkIdRule(output: string, existing: RunMeta | undefined, numericId: { id: string; line: number } | undefined, force: boolean): void {
  if (force || existing === undefined || existing.id_rule === ID_RULE) return;
  if (existing.id_rule !== undefined) {
    throw new UsageError(
      `cannot resume "${output}": "${metaPath(output)}" says its ids follow id_rule ${JSON.stringify(existing.id_rule)}, which this version of llmbatch does not know (it writes ${ID_RULE}); resume with the version that wrote it, or write to a new -o file`,
    );
  }
  if (numericId === undefined) return;
  throw new UsageError(
    `cannot resume "${output}": it was written by an earlier llmbatch, which gave a record without an id its line number as id (${output}:${numericId.line} has id ${JSON.stringify(numericId.id)}); this version identifies such records by their content, so its results cannot be matched to them. Write to a new -o file, or pass --force if every input record has an id of its own`,
  );
}

/**
 * Throws a `UsageError` when a resume would write `output` otherwise than the runs before it (as
 * its sidecar `existing` records): in another format, or a CSV's cells with the formula guard
 * on where they had it off, or the reverse (the ids it reads back would not be those written, and
 * finished records would be sent again). A sidecar of an earlier version, without these fields,
 * stands for the defaults: the `-o` extension's format, the guard on. Not lifted by `--force`.
 */
export function checkSameOutput(output: string, existing: RunMeta, current: OutputSettings): void {
  const format = existing.output_format;
  if (format !== undefined && format !== current.format) {
    throw new UsageError(
      `cannot resume "${output}": it is written as ${format.toUpperCase()} ("${metaPath(output)}" says so), not ${current.format.toUpperCase()}; resume with --output-format ${format}, or write to a new -o file`,
    );
  }
  if (current.format === "jsonl") return;
  const guarded = existing.csv_guard ?? true;
  if (guarded === (current.csvGuard ?? true)) return;
  const how = guarded ? "with the formula guard (text starting with = + - @ prefixed with ')" : "without the formula guard (--no-csv-guard)";
  throw new UsageError(
    `cannot resume "${output}": its cells were written ${how}, and a resume must write them the same way; resume ${guarded ? "without --no-csv-guard" : "with --no-csv-guard"}, or write to a new -o file`,
  );
}

function describe(id: RunIdentity): string {
  return `pipeline "${id.pipeline}" with ${id.models.join(", ")}`;
}
