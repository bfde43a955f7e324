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
  /** Calls made: 1, or 2 after a retry with the limit raised. */
  calls: number;
  /** The request last sent: with the raised limit after a retry, which the step's later calls (repairs) keep. */
  request: LlmRequest;
}

/** One call of a generate step under its `on_truncated` policy. Never throws. */
export async function callUnderTruncationPolicy(stepId: string, policy: OnTruncated, provider: Provider, request: LlmRequest, ctx: CallContext): Promise<TruncationOutcome> {
  const first = await callLlm(provider, request, ctx);
  if (!first.ok || first.response.finishReason !== TRUNCATED || policy === "accept") return { outcome: first, finishReason: first.ok ? first.response.finishReason : undefined, calls: 1, request };
  const limit = sentLimit(request);
  if (policy === "fail" || limit === undefined) return { outcome: truncatedFailure(stepId, first, limit, policy), finishReason: TRUNCATED, calls: 1, request };

  const raised = withLimit(request, limit * 2);
  const second = await callLlm(provider, raised, ctx);
  const merged = mergeOutcomes(first, second);
  const done = { calls: 2, request: raised };
  if (!merged.ok) return { outcome: merged, finishReason: undefined, ...done };
  if (merged.response.finishReason !== TRUNCATED) return { outcome: merged, finishReason: merged.response.finishReason, ...done };
  return { outcome: truncatedFailure(stepId, merged, limit * 2, policy), finishReason: TRUNCATED, ...done };
}

/**
 * The output cap that holds: `params.max_tokens`, or the smaller of it and a body's second cap
 * (a body that gave both `max_completion_tokens` and `max_tokens` keeps the latter in `extra`, and
 * Ollama, like a compatible server, applies the smaller).
 */
function sentLimit(request: LlmRequest): number | undefined {
  const limit = request.params.max_tokens;
  const second = request.extra?.max_tokens;
  return limit !== undefined && typeof second === "number" ? Math.min(limit, second) : limit;
}

/** The request with every cap it carries set to `limit`, so the one that is sent is raised. */
function withLimit(request: LlmRequest, limit: number): LlmRequest {
  const raised: LlmRequest = { ...request, params: { ...request.params, max_tokens: limit } };
  if (typeof request.extra?.max_tokens === "number") raised.extra = { ...request.extra, max_tokens: limit };
  return raised;
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
    const merged: CallOutcome = { ...second, attempts, backoff, response: { ...second.response, usage } };
    // Answered from the cache only when both calls were: a paid call is never counted as saved.
    if (!first.cached) delete merged.cached;
    return merged;
  }
  if (second.usage) addUsage(usage, second.usage);
  return { ...second, attempts, backoff, notSent: false, usage };
}
