/**
 * ollama-js errors → ProviderError, by HTTP status (Ollama's `docs/api/errors.mdx`). Ollama's error body is
 * only `{"error": "<text>"}`, with no code or type, so the status is all there is to go on.
 */
import { ProviderError } from "../../errors.js";
import type { ErrorType, RateLimitInfo } from "../../types.js";
import { abortedError, cleanMessage, transportError } from "../call-errors.js";
import type { AbortCause } from "../call-signal.js";

export interface OllamaErrorContext {
  aborted?: AbortCause;
  timeoutMs: number;
  /** Wait hint from the failed response's `retry-after` (Ollama's cloud sends 429s). */
  retryAfterMs?: number;
}

/**
 * ollama-js 0.6.4 throws a `ResponseError` for non-2xx answers but does not export the class, so
 * it is recognised by shape: `name === "ResponseError"` and a numeric `status_code` (ollama-js `src/utils.ts`).
 */
interface OllamaResponseError extends Error {
  name: "ResponseError";
  error: string;
  status_code: number;
}

function isOllamaResponseError(err: unknown): err is OllamaResponseError {
  return err instanceof Error && err.name === "ResponseError" && typeof (err as { status_code?: unknown }).status_code === "number";
}

export function classifyOllamaError(err: unknown, ctx: OllamaErrorContext): ProviderError {
  if (err instanceof ProviderError) return err;
  if (isOllamaResponseError(err)) {
    const status = err.status_code;
    const type = typeForStatus(status);
    const rateLimits: RateLimitInfo | undefined = ctx.retryAfterMs === undefined ? undefined : { retryAfterMs: ctx.retryAfterMs };
    // /api/chat answers 404 only for a model it does not have (Ollama's `server/routes.go`).
    const hint = status === 404 ? " (is it pulled? see `ollama list`)" : "";
    return new ProviderError({
      type,
      status,
      message: `${status} ${cleanMessage(err.error || err.message)}${hint}`,
      retryAfterMs: ctx.retryAfterMs,
      rateLimits,
    });
  }
  if (ctx.aborted !== undefined) return abortedError(ctx.aborted, ctx.timeoutMs, err);
  const transport = transportError(err);
  if (transport) return transport;
  const message = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
  return new ProviderError({ type: "unknown", message: cleanMessage(message), cause: err });
}

function typeForStatus(status: number): ErrorType {
  switch (status) {
    case 400:
      return "bad_request";
    case 401:
      return "auth";
    case 403:
      return "permission";
    case 404:
      return "model_not_found";
    case 408:
      return "timeout";
    case 429:
      return "rate_limit";
    case 503:
      // "server busy, please try again. maximum pending requests exceeded": the queue is full.
      return "overloaded";
    default:
      return status >= 500 ? "server" : status >= 400 ? "bad_request" : "unknown";
  }
}
