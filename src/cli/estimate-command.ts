import { estimateBatch } from "../estimate.js";
import type { CliIO } from "./main.js";
import { formatEstimate } from "./estimate-table.js";
import { loadRunSettings, type RunFlags } from "./run-command.js";

export interface EstimateFlags extends RunFlags {
  json?: boolean;
}

/**
 * `llmbatch estimate <input>`: records, tokens, cost range and time for a batch, with nothing sent.
 * The estimate is this command's data, so it goes to stdout: a table, or one JSON object with `--json`.
 */
export async function estimateCommand(input: string, flags: EstimateFlags, io: CliIO): Promise<number> {
  const { options, format, priceOverrides, assumeOutput } = await loadRunSettings(flags);
  const estimate = await estimateBatch({ input, format, stdin: io.stdin, options, priceOverrides, assumeOutputTokens: assumeOutput });
  io.stdout.write(flags.json ? `${JSON.stringify(estimate)}\n` : formatEstimate(estimate));
  return 0;
}
