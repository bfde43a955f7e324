/**
 * Exit codes, a contract for shell scripts and cron (see README), and how a finished run maps to
 * one. Kept apart from `batch.ts` so the CLI's entry (and `--help`) can name them without loading
 * the engine and the provider clients.
 */
import type { StopReason } from "../engine/stop-reason.js";
import type { RunSummary } from "../metrics/summary.js";

/** `internal` (70, sysexits' EX_SOFTWARE): a bug in llmbatch, or the run thread running out of heap. */
export const EXIT = { ok: 0, someFailed: 1, usage: 2, fatal: 3, internal: 70, interrupted: 130 } as const;

/** The stop reason when the reader of the results (stdout) went away. */
export { OUTPUT_CLOSED_TEXT as OUTPUT_CLOSED } from "../engine/stop-reason.js";

/** Why a run stopped early (or undefined when it did not) and its counts → exit code. */
export function exitCodeFor(stop: StopReason | undefined, summary: Pick<RunSummary, "ok" | "records">): number {
  if (stop?.kind === "interrupted" || stop?.kind === "output_closed") return EXIT.interrupted;
  if (stop?.kind === "fatal") return EXIT.fatal;
  return summary.ok === summary.records ? EXIT.ok : EXIT.someFailed;
}
