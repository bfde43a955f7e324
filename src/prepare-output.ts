/**
 * The results file before a run sends anything: a new file gets its sidecar; a `--resume` or
 * `--retry-failed` is checked against the sidecar, loses a partial last line, and learns which
 * records are done so they can be skipped.
 */
import type { Pipeline } from "./config/pipeline.js";
import { runIdentity } from "./config/fingerprint.js";
import { UsageError } from "./errors.js";
import { isSpecialFile } from "./io/output-paths.js";
import { outputFormatFor } from "./io/result-writer.js";
import { hasResults, readResumeState, skipFinished } from "./io/resume-journal.js";
import { checkSameRun, readRunMeta, writeRunMeta, type RunMeta } from "./io/run-meta.js";
import type { ReadItem } from "./types.js";

export interface OutputOptions {
  /** See `BatchConfig.resume`. @default false */
  resume?: boolean | "failed";
  /** See `BatchConfig.force`. @default false */
  force?: boolean;
  pipeline: Pipeline;
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
}

/**
 * Before anything is sent: for a results file, checks a resume against the sidecar, cuts a
 * partial last line, reads which ids are done, and (re)writes the sidecar for a new file.
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
    const existing = await hasResults(output);
    const meta = existing ? await readRunMeta(output) : undefined;
    if (existing) checkSameRun(output, meta, identity, config.force === true);
    const state = await readResumeState(output, outputFormatFor(output));
    if (state !== undefined) {
      if (state.cutBytes > 0) config.onWarning?.(`${output}: cut off a partial last line (${state.cutBytes} bytes) left by an interrupted run`);
      // A new configuration (--force) is recorded; what the file already cost stays with it.
      const current = meta === undefined || meta.fingerprint !== identity.fingerprint ? await writeRunMeta(output, identity, undefined, meta?.spent_usd) : meta;
      return { append: true, filter: (items) => skipFinished(items, state, config.resume === "failed", skipped), skipped, meta: current };
    }
  }
  return { ...fresh, meta: await writeRunMeta(output, identity) };
}
