/**
 * The results file before a run sends anything: a new file gets its sidecar; a `--resume` or
 * `--retry-failed` is checked against the sidecar, loses a partial last line, and learns which
 * records are done so they can be skipped. The checks come first and change nothing; the changes
 * wait for `commit`, so a run refused on the way (its input's first read, a missing key) leaves
 * the file and its sidecar as they were.
 */
import type { Pipeline } from "../config/pipeline.js";
import { runIdentity } from "../config/fingerprint.js";
import { UsageError } from "../errors.js";
import { resumeLayout, type CsvLayout } from "../io/csv-writer.js";
import { isSpecialFile } from "../io/output-paths.js";
import type { OutputFormat } from "../io/result-writer.js";
import { cutPartialLine, hasResults, readResumeState, skipFinished } from "../io/resume-journal.js";
import { checkIdRule, checkSameOutput, checkSameRun, ID_RULE, readRunMeta, writeRunMeta, type OutputSettings, type RunMeta } from "../io/run-meta.js";
import type { InputRecord, ReadItem } from "../types.js";

export interface OutputOptions {
  /** See `BatchConfig.resume`. @default false */
  resume?: boolean | "failed";
  /** See `BatchConfig.force`. @default false */
  force?: boolean;
  pipeline: Pipeline;
  /** `--include-input`: a CSV resume checks that the file has the input columns. @default false */
  includeInput?: boolean;
  /** The results file's format (see `resultFormat`); recorded in the sidecar. */
  format: OutputFormat;
  /** See `BatchConfig.csvGuard`: how a CSV or TSV file's id cells are read back; recorded in the sidecar. @default true */
  csvGuard?: boolean;
  onWarning?(message: string): void;
}

export interface PreparedOutput {
  /** Append to the existing results instead of starting the file anew. */
  append: boolean;
  /** Drops the records the existing results already cover (identity when not resuming). */
  filter(items: AsyncIterable<ReadItem>): AsyncIterable<ReadItem>;
  skipped: { count: number };
  /** What the results file cost before this run: its sidecar's `spent_usd` on a resume, else 0. */
  spentBefore: number;
  /** For a CSV resume: the columns of the file, which the appended rows must have. */
  csvLayout?: CsvLayout;
  /**
   * Makes the changes the run needs in the results file, once nothing can refuse the run any more
   * (its input's first read included): cuts a partial last line, (re)writes the sidecar. Returns
   * the sidecar as it then is (undefined for stdout and devices).
   */
  commit(): Promise<RunMeta | undefined>;
}

/**
 * Before anything is sent, and touching nothing: for a results file, checks a resume against the
 * sidecar (same configuration, same id rule, same format and formula guard) and, for CSV, the
 * file's columns; reads which ids are done. What must change in the file happens in `commit`.
 */
export async function prepareOutput(path: string | undefined, config: OutputOptions): Promise<PreparedOutput> {
  const output = path === "-" ? undefined : path;
  const skipped = { count: 0 };
  const none: PreparedOutput = { append: false, filter: (items) => items, skipped, spentBefore: 0, commit: async () => undefined };
  if (config.resume && output === undefined) {
    throw new UsageError(`--${config.resume === "failed" ? "retry-failed" : "resume"} needs the results file it continues: pass -o <file> (results on stdout cannot be resumed)`);
  }
  if (output === undefined) return none;
  // A device or a pipe (`-o /dev/null`) keeps nothing to resume from: no sidecar next to it.
  if (await isSpecialFile(output)) return none;
  const identity = runIdentity(config.pipeline);
  const settings: OutputSettings = { format: config.format, csvGuard: config.csvGuard };
  let spentUsd: number | undefined;
  if (config.resume) {
    const force = config.force === true;
    const existing = await hasResults(output);
    const meta = existing ? await readRunMeta(output) : await sidecarOfSameRun(output, identity.fingerprint);
    if (existing) {
      checkSameRun(output, meta, identity, force);
      if (meta !== undefined) checkSameOutput(output, meta, settings);
    }
    const state = await readResumeState(output, config.format, { csvGuard: config.csvGuard });
    if (state !== undefined) {
      checkIdRule(output, meta, state.numericId, force);
      const csvLayout = state.header === undefined ? undefined : resumeLayout(output, state.header, config.includeInput === true);
      return {
        append: true,
        filter: (items) => skipFinished(items, state, config.resume === "failed", skipped),
        skipped,
        spentBefore: meta?.spent_usd ?? 0,
        csvLayout,
        commit: async () => {
          await cutPartialLine(output, state);
          if (state.cutBytes > 0) config.onWarning?.(`${output}: cut off a partial last line (${state.cutBytes} bytes) left by an interrupted run`);
          if (csvLayout && csvLayout.missing.length > 0) {
            config.onWarning?.(
              `${output}: an earlier version of llmbatch started this file without the column${csvLayout.missing.length === 1 ? "" : "s"} ${csvLayout.missing.join(", ")}; the resumed rows keep its columns (write to a new -o file to get them)`,
            );
          }
          // A new configuration (--force), an old id rule or a sidecar without the output settings
          // is recorded anew; when the file was started and what it already cost stay with it.
          const current = meta !== undefined && meta.fingerprint === identity.fingerprint && meta.id_rule === ID_RULE && meta.output_format !== undefined;
          if (current) return meta;
          return writeRunMeta(output, identity, { createdAt: meta && new Date(meta.created_at), spentUsd: meta?.spent_usd, settings });
        },
      };
    }
    // No result lines yet: the file starts anew, but a run killed before its first line may have
    // been billed; its sidecar, when it describes this run, keeps that spend for `--max-cost`.
    spentUsd = meta?.spent_usd;
  }
  return { ...none, spentBefore: spentUsd ?? 0, commit: () => writeRunMeta(output, identity, { spentUsd, settings }) };
}

/**
 * The sidecar of `output` when it describes a run of this configuration (`fingerprint`), else
 * undefined. For a results file with no result lines: such a file holds nothing to mix, so a
 * sidecar that is missing, unreadable, malformed or of another run only means a first run, not an
 * error (the file is started anew, its sidecar rewritten).
 */
async function sidecarOfSameRun(output: string, fingerprint: string): Promise<RunMeta | undefined> {
  try {
    const meta = await readRunMeta(output);
    return meta?.fingerprint === fingerprint ? meta : undefined;
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

/**
 * A CSV resume with `--include-input`: the file's input columns are fixed, and a run takes them
 * from the first record of its input that can be read (`readAhead`'s `firstRecord`), so when that
 * record has fields the file has no column for (the input gained a column), the resume is refused
 * (`UsageError`, exit 2) before anything is sent. Fields that only later records have are not
 * checked: in a first run too, they have no column.
 */
export function refuseNewColumns(output: string | undefined, layout: CsvLayout | undefined, first: InputRecord | undefined): void {
  const inputFields = layout?.inputFields ?? [];
  if (inputFields.length === 0 || first === undefined) return;
  const known = new Set(inputFields);
  const extra = Object.keys(first.vars).filter((field) => !known.has(field));
  if (extra.length === 0) return;
  throw new UsageError(
    `cannot resume "${output}" with --include-input: the input has field${extra.length === 1 ? "" : "s"} ${extra.join(", ")} that the file has no column for (it has ${inputFields.join(", ")}), and a CSV file cannot gain columns; resume with the input of the first run, or write to a new -o file`,
  );
}
