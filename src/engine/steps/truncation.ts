/**
 * `on_truncated` of a generate step: what a reply cut off at the output token limit
 * (`finish_reason: length`) does. `accept` keeps it; `fail` fails the step; `retry` asks once more
 * with `max_tokens` doubled (the same limit would cut the same reply again) and fails the step if
 * that reply is cut off too. Every call made is billed, so its usage stays on the outcome.
 */
import type { OnTruncated } from "../../config/step-types.js";
import { resultError } from "../../errors.js";
import { addBackoff, addUsage, emptyUsage, type LlmRequest, type Provider, type Usage } from "../../types.js";
import { callLlm, type CallContext, type CallOutcome } from "../llm-call.js";

export const TRUNCATED = "length";

export interface TruncationOutcome {
  outcome: CallOutcome;
  /** The finish reason of the last reply, when one came back (also on a step failed for truncation). */
  finishReason: string | undefined;
}

/** One call of a generate step under its `on_truncated` policy. Never throws. */
export async function callUnderTruncationPolicy(stepId: string, policy: OnTruncated, provider: Provider, request: LlmRequest, ctx: CallContext): Promise<TruncationOutcome> {
  const first = await callLlm(provider, request, ctx);
  if (!first.ok || first.response.finishReason !== TRUNCATED || policy === "accept") return { outcome: first, finishReason: first.ok ? first.response.finishReason : undefined };
  const limit = request.params.max_tokens;
  if (policy === "fail" || limit === undefined) return { outcome: truncatedFailure(stepId, first, limit, policy), finishReason: TRUNCATED };

  const second = await callLlm(provider, { ...request, params: { ...request.params, max_tokens: limit * 2 } }, ctx);
  const merged = mergeOutcomes(first, second);
  if (!merged.ok) return { outcome: merged, finishReason: undefined };
  if (merged.response.finishReason !== TRUNCATED) return { outcome: merged, finishReason: merged.response.finishReason };
  return { outcome: truncatedFailure(stepId, merged, limit * 2, policy), finishReason: TRUNCATED };
}

/** The step's failure for a cut-off reply: `invalid_response`, code `truncated`, billed usage kept. */
function truncatedFailure(stepId: string, outcome: CallOutcome & { ok: true }, limit: number | undefined, policy: "fail" | "retry"): CallOutcome {
  const at = limit === undefined ? "the model's own output limit (no max_tokens set)" : `max_tokens ${limit}`;
  const retried = policy === "retry" && limit !== undefined ? ", also after one retry with max_tokens doubled" : "";
  const message = `step "${stepId}": the reply was cut off at ${at} (finish_reason: length)${retried}; raise max_tokens, or set on_truncated: accept to keep cut-off replies`;
  return {
    ok: false,
    error: resultError("invalid_response", message, { code: "truncated", retriable: false }),
    attempts: outcome.attempts,
    backoff: outcome.backoff,
    notSent: false,
    usage: outcome.response.usage,
  };
}

/** The second call's outcome with the first call's attempts, waits and billed usage added in. */
function mergeOutcomes(first: CallOutcome & { ok: true }, second: CallOutcome): CallOutcome {
  const backoff = { ...first.backoff };
  addBackoff(backoff, second.backoff);
  const attempts = first.attempts + second.attempts;
  const usage: Usage = emptyUsage();
  addUsage(usage, first.response.usage);
  if (second.ok) {
    addUsage(usage, second.response.usage);
    return { ...second, attempts, backoff, response: { ...second.response, usage } };
  }
  if (second.usage) addUsage(usage, second.usage);
  return { ...second, attempts, backoff, notSent: false, usage };
}
