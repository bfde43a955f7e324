/**
 * The TPM gate reserves prompt + max output tokens for each request at admission. A request that
 * sets no `max_tokens` reserves DEFAULT_OUTPUT_TOKENS (4,096), so a TPM limit fits only a tenth or
 * so of the requests a user expects, with nothing said. This says it once, before the run starts.
 */
import type { ResolvedRunOptions } from "../config/run-options.js";
import { DEFAULT_OUTPUT_TOKENS } from "../tokens/token-estimate.js";
import { groupDigits } from "../metrics/number-format.js";

/**
 * The warning for a run with a TPM limit in force (`--tpm`, or the pipeline's `limits.tpm`) and
 * generate steps that set no `max_tokens`; undefined when it does not matter.
 * `tpmFlag`: whether the limit came from `--tpm` (so the message names what the user wrote).
 */
export function unsetMaxTokensWarning(options: ResolvedRunOptions, tpmFlag: boolean): string | undefined {
  const { pipeline, tpm } = options;
  if (tpm === undefined) return undefined;
  const open = pipeline.steps.filter((s) => s.method === "generate" && (s.params?.max_tokens ?? pipeline.params.max_tokens) === undefined);
  if (open.length === 0) return undefined;
  const limit = tpmFlag ? `--tpm ${tpm}` : `limits.tpm ${tpm}${pipeline.file ? ` (${pipeline.file})` : ""}`;
  const generateSteps = pipeline.steps.filter((s) => s.method === "generate").length;
  const without = open.length === generateSteps && generateSteps === 1 ? "without --max-tokens" : `with no max_tokens for step${open.length === 1 ? "" : "s"} ${open.map((s) => s.id).join(", ")}`;
  const perMinute = Math.floor(tpm / DEFAULT_OUTPUT_TOKENS);
  const fit = perMinute >= 1 ? `so at most ~${groupDigits(perMinute)} requests/min fit` : "more than the limit itself, so those requests cannot be admitted";
  return (
    `${limit} ${without}: each request that sets no max_tokens reserves ${groupDigits(DEFAULT_OUTPUT_TOKENS)} output tokens (its worst case), ${fit}; ` +
    "set --max-tokens (or params.max_tokens in the pipeline) near your answers' real length"
  );
}
