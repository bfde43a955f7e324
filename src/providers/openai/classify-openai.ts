/**
 * openai-node errors → ProviderError, once, by HTTP status plus the body's `code`/`type`
 * (OpenAI's error codes guide, platform.openai.com/docs/guides/error-codes, and openai-node's
 * `APIError.generate`; STYLE "classify by type and status, never by message text").
 * The one exception, "Request too large", is documented at `isRequestTooLarge`.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import { ProviderError, type ProviderErrorInit } from "../../errors.js";
import type { RateLimitInfo } from "../../types.js";
import { abortedError, cleanMessage, transportError } from "../call-errors.js";
import type { AbortCause } from "../call-signal.js";
import { hasRateLimitInfo, parseRateLimitHeaders } from "../rate-limit-headers.js";

export interface OpenAIErrorContext {
  /** Which of our own signals aborted the call, if one did (see call-signal.ts). */
  aborted?: AbortCause;
  timeoutMs: number;
  /** The request's output-token cap: OpenAI charges at least this much against TPM at admission. */
  maxTokens?: number;
  /** A literal secret (the API key) to scrub from messages, on top of redactSecrets' patterns. */
  secret?: string;
}

export function classifyOpenAIError(err: unknown, ctx: OpenAIErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  // A status means the server answered: that answer wins over a later abort.
  if (err instanceof APIError && typeof err.status === "number") return classifyStatus(err, err.status, ctx);
  // openai-node reports an abort of the signal we pass as APIUserAbortError even when our timer
  // fired it, so ask the signal which one it was.
  if (ctx.aborted !== undefined) return abortedError(ctx.aborted, ctx.timeoutMs, err);
  if (err instanceof APIConnectionTimeoutError) {
    return new ProviderError({ type: "timeout", message: `request timed out after ${ctx.timeoutMs} ms`, cause: err });
  }
  if (err instanceof APIUserAbortError) return new ProviderError({ type: "cancelled", message: "request cancelled", cause: err });
  if (err instanceof APIConnectionError) {
    // The SDK wraps fetch's TypeError; describe (and code) it the same way as an unwrapped one.
    const inner = transportError(err.cause);
    return new ProviderError({ type: "network", message: inner?.message ?? `network error: ${err.message}`, code: inner?.code, cause: err });
  }
  // Errors while reading a 2xx body surface raw from fetch (socket closed, body not JSON).
  const transport = transportError(err);
  if (transport) return transport;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ProviderError({ type: "unknown", message: cleanMessage(message, ctx.secret), cause: err });
}

function classifyStatus(err: APIError, status: number, ctx: OpenAIErrorContext): ProviderError {
  const headers = err.headers;
  const rateLimits = headers ? parseRateLimitHeaders((name) => headers.get(name)) : {};
  const code = typeof err.code === "string" ? err.code : undefined;
  const kind = typeof err.type === "string" ? err.type : undefined;
  // No `cause`: the raw APIError carries the body and headers, which we do not want in logs.
  const base = {
    status,
    code,
    message: cleanMessage(err.message, ctx.secret),
    retryAfterMs: rateLimits.retryAfterMs,
    rateLimits: hasRateLimitInfo(rateLimits) ? rateLimits : undefined,
  } satisfies Omit<ProviderErrorInit, "type">;

  // Codes first: they are specific where statuses are shared (429 quota vs rate limit) and some
  // OpenAI-compatible servers send them with other statuses.
  if (code === "insufficient_quota" || kind === "insufficient_quota") return new ProviderError({ ...base, type: "insufficient_quota" });
  if (code === "context_length_exceeded" || isCompatContextRefusal(err, status, kind)) return new ProviderError({ ...base, type: "context_length" });
  if (code === "model_not_found") return new ProviderError({ ...base, type: "model_not_found" });

  if (status === 429) {
    if (isRequestTooLarge(err, kind, rateLimits, ctx.maxTokens)) {
      return new ProviderError({ ...base, type: "rate_limit", retriable: false, retryAfterMs: undefined });
    }
    return new ProviderError({ ...base, type: "rate_limit", retryAfterMs: base.retryAfterMs ?? resetHint(kind, rateLimits) });
  }
  if (status === 401) return new ProviderError({ ...base, type: "auth" });
  if (status === 403) return new ProviderError({ ...base, type: "permission" });
  if (status === 404) {
    // We only call the chat route, so a 404 is the model, or a base URL that lacks `/v1`.
    const message = code === undefined ? `${base.message} (check the model name, and that the base URL ends in /v1)` : base.message;
    return new ProviderError({ ...base, message, type: "model_not_found" });
  }
  if (status === 408) return new ProviderError({ ...base, type: "timeout" });
  // 409 is a conflict on OpenAI's side (openai-node retries it too); nothing the request can fix.
  if (status === 409) return new ProviderError({ ...base, type: "server" });
  if (status === 503) return new ProviderError({ ...base, type: "overloaded" });
  if (status >= 500) return new ProviderError({ ...base, type: "server" });
  if (status >= 400) return new ProviderError({ ...base, type: "bad_request" });
  return new ProviderError({ ...base, type: "unknown" });
}

/**
 * OpenAI-compatible servers that refuse an over-long prompt without OpenAI's `code`, each told apart
 * by a structured field of its body, never by its message:
 *  - llama.cpp's `llama-server`: `type: "exceed_context_size_error"` (HTTP 400, with `n_ctx`);
 *  - vLLM: HTTP 400 with `param: "input_tokens"`, its validation error for the prompt's length
 *    (`type` is only the exception class, `BadRequestError`).
 * LM Studio's refusal ("Input does not fit in context length") carries a message only, so it stays
 * `bad_request`.
 */
function isCompatContextRefusal(err: APIError, status: number, kind: string | undefined): boolean {
  return kind === "exceed_context_size_error" || (status === 400 && err.param === "input_tokens");
}

/**
 * A 429 that waiting cannot fix: the request alone exceeds the TPM limit. OpenAI sends it with the
 * same status, `type: "tokens"` and `code: "rate_limit_exceeded"` as an ordinary TPM 429
 * (as the bodies quoted in public issue reports show), so status/type/code cannot tell them apart. We look, in order, at:
 *  1. the request: its `max_tokens` alone (a lower bound on the admission charge) exceeds the limit;
 *  2. headers, for a token 429: the token budget was full (`remaining-tokens` ≥ `limit-tokens`)
 *     and it still said no. Only for a token 429 (or an untyped one while requests were left),
 *     because an RPM 429 arrives with a full token budget all the time;
 *  3. the message, as a last resort, because the requested amount is only stated there: we read
 *     the numbers after "Limit" and "Requested" and compare them, rather than matching the wording.
 *     An ordinary 429 says "Limit 30000, Used 29937, Requested 385", so the comparison is false.
 */
function isRequestTooLarge(err: APIError, kind: string | undefined, rl: RateLimitInfo, maxTokens?: number): boolean {
  if (kind === "requests") return false;
  const limit = rl.limitTokens;
  if (limit !== undefined && maxTokens !== undefined && maxTokens > limit) return true;
  const tokenLimited = kind === "tokens" || kind === "tokens_usage_based" || (kind === undefined && rl.remainingRequests !== undefined && rl.remainingRequests > 0);
  if (tokenLimited && limit !== undefined && rl.remainingTokens !== undefined && rl.remainingTokens >= limit) return true;
  const inner = (err.error as { message?: unknown } | undefined)?.message;
  const text = typeof inner === "string" ? inner : "";
  const limitInText = /\bLimit (\d+)/.exec(text)?.[1];
  const requested = /\bRequested (\d+)/.exec(text)?.[1];
  return limitInText !== undefined && requested !== undefined && Number(requested) > Number(limitInText);
}

/**
 * Fallback wait hint when the 429 has no retry-after: the reset time of the budget that ran out.
 * `reset-*` is the time to a FULL budget, so it overestimates; the engine may cap it.
 */
function resetHint(kind: string | undefined, rl: RateLimitInfo): number | undefined {
  if (kind === "requests") return rl.resetRequestsMs;
  if (kind === "tokens" || kind === "tokens_usage_based") return rl.resetTokensMs;
  if (rl.remainingRequests === 0) return rl.resetRequestsMs;
  if (rl.remainingTokens === 0) return rl.resetTokensMs;
  return undefined;
}
