/**
 * The results file before a run sends anything: a new file gets its sidecar; a `--resume` or
 * `--retry-failed` is checked against the sidecar, loses a partial last line, and learns which
 * records are done so they can be skipped.
 */
import type { Pipeline } from "./config/pipeline.js";
import { runIdentity } from "./config/fingerprint.js";
import { UsageError } from "./errors.js";
import { resumeLayout, type CsvLayout } from "./io/csv-writer.js";
import { isSpecialFile } from "./io/output-paths.js";
import type { OutputFormat } from "./io/result-writer.js";
import { cutPartialLine, hasResults, readResumeState, skipFinished } from "./io/resume-journal.js";
import { checkIdRule, checkSameRun, ID_RULE, readRunMeta, writeRunMeta, type RunMeta } from "./io/run-meta.js";
import type { ReadItem } from "./types.js";

export interface OutputOptions {
  /** See `BatchConfig.resume`. @default false */
  resume?: boolean | "failed";
  /** See `BatchConfig.force`. @default false */
  force?: boolean;
  pipeline: Pipeline;
  /** `--include-input`: a CSV resume checks that the file has the input columns. @default false */
  includeInput?: boolean;
  /** The results file's format (see `resultFormat`). */
  format: OutputFormat;
  /** See `BatchConfig.csvGuard`: how a CSV or TSV file's id cells are read back. @default true */
  csvGuard?: boolean;
  onWarning?(message: string): void;
}

export interface PreparedOutput {
  /** Append to the existing results instead of starting the file anew. */
  append: boolean;
  /** Drops the records the existing results already cover (identity when not resuming). */
  filter(items: AsyncIterable<ReadItem>): AsyncIterable<ReadItem>;
  skipped: { count: number };
  /** The sidecar as it now is (undefined for stdout); its `spent_usd` is what the file cost before this run. */
  meta?: RunMeta;
  /** For a CSV resume: the columns of the file, which the appended rows must have. */
  csvLayout?: CsvLayout;
}

/**
 * Before anything is sent: for a results file, checks a resume against the sidecar (same
 * configuration, same id rule) and, for CSV, the file's columns; cuts a partial last line, reads
 * which ids are done, and (re)writes the sidecar for a new file.
 */
export async function prepareOutput(path: string | undefined, config: OutputOptions): Promise<PreparedOutput> {
  const output = path === "-" ? undefined : path;
  const skipped = { count: 0 };
  const fresh: PreparedOutput = { append: false, filter: (items) => items, skipped };
  if (config.resume && output === undefined) {
    throw new UsageError(`--${config.resume === "failed" ? "retry-failed" : "resume"} needs the results file it continues: pass -o <file> (results on stdout cannot be resumed)`);
  }
  if (output === undefined) return fresh;
  // A device or a pipe (`-o /dev/null`) keeps nothing to resume from: no sidecar next to it.
  if (await isSpecialFile(output)) return fresh;
  const identity = runIdentity(config.pipeline);
  if (config.resume) {
    // Checked before the file is touched: a refused resume leaves it exactly as it was. Without
    // results there is nothing to mix, whatever an old sidecar says.
    const force = config.force === true;
    const existing = await hasResults(output);
    const meta = existing ? await readRunMeta(output) : undefined;
    if (existing) checkSameRun(output, meta, identity, force);
    const state = await readResumeState(output, config.format, { csvGuard: config.csvGuard });
    if (state !== undefined) {
      checkIdRule(output, meta, state.numericId, force);
      const csvLayout = state.header === undefined ? undefined : resumeLayout(output, state.header, config.includeInput === true);
      await cutPartialLine(output, state);
      if (state.cutBytes > 0) config.onWarning?.(`${output}: cut off a partial last line (${state.cutBytes} bytes) left by an interrupted run`);
      if (csvLayout && csvLayout.missing.length > 0) {
        config.onWarning?.(`${output}: an earlier version of llmbatch started this file without the column${csvLayout.missing.length === 1 ? "" : "s"} ${csvLayout.missing.join(", ")}; the resumed rows keep its columns (write to a new -o file to get them)`);
      }
      // A new configuration (--force) or an old id rule is recorded; what the file already cost stays with it.
      const current = meta === undefined || meta.fingerprint !== identity.fingerprint || meta.id_rule !== ID_RULE ? await writeRunMeta(output, identity, undefined, meta?.spent_usd) : meta;
      const inputFields = csvLayout?.inputFields ?? [];
      return {
        append: true,
        filter: (items) => skipFinished(inputFields.length > 0 ? refuseNewColumns(items, inputFields, output) : items, state, config.resume === "failed", skipped),
        skipped,
        meta: current,
        csvLayout,
      };
    }
  }
  return { ...fresh, meta: await writeRunMeta(output, identity) };
}

/**
 * A CSV resume with `--include-input`: the file's input columns are fixed, so when the first
 * record has fields the file has no column for (the input gained a column), the resume stops
 * (`UsageError`, exit 2) before that record or any later one is sent. Later records are not
 * checked: in a single run too, fields the first record lacked have no column.
 */
async function* refuseNewColumns(items: AsyncIterable<ReadItem>, inputFields: readonly string[], output: string): AsyncGenerator<ReadItem> {
  let checked = false;
  for await (const item of items) {
    if (!checked && item.kind === "record") {
      checked = true;
      const known = new Set(inputFields);
      const extra = Object.keys(item.record.vars).filter((field) => !known.has(field));
      if (extra.length > 0) {
        throw new UsageError(
          `cannot resume "${output}" with --include-input: the input has field${extra.length === 1 ? "" : "s"} ${extra.join(", ")} that the file has no column for (it has ${inputFields.join(", ")}), and a CSV file cannot gain columns; resume with the input of the first run, or write to a new -o file`,
        );
      }
    }
    yield item;
  }
}
