import { estimateBatch } from "../run/estimate.js";
import type { CliIO } from "./main.js";
import type { Logger } from "./logger.js";
import { formatEstimate } from "./estimate-table.js";
import type { RunFlags } from "./options.js";
import { ignoredNote, loadRunSettings } from "./run-command.js";

/** `estimate` takes every flag of `run` (see options.ts). */
export type EstimateFlags = RunFlags;

/**
 * `llmbatch estimate <input>`: records, tokens, cost range and time for a batch, with nothing sent.
 * The estimate is this command's data, so it goes to stdout: a table, or one JSON object with `--json`.
 * `ignored`: the flags of `run` given that do not change an estimate, named in one note on stderr.
 */
export async function estimateCommand(input: string, flags: EstimateFlags, io: CliIO, log: Logger, ignored: readonly string[] = []): Promise<number> {
  const { options, format, priceOverrides, assumeOutput } = await loadRunSettings(flags, io.env);
  const note = ignoredNote(ignored, "estimate");
  if (note) log.info(note);
  const estimate = await estimateBatch({ input, format, stdin: input === "-" ? io.stdin : undefined, options, priceOverrides, assumeOutputTokens: assumeOutput, onInfo: (m) => log.info(m) });
  io.stdout.write(flags.json ? `${JSON.stringify(estimate)}\n` : formatEstimate(estimate));
  return 0;
}
