/**
 * Error helpers shared by both providers: failures below the HTTP status line (abort, timeout,
 * socket, unparseable body) look the same whichever client made the call, because both use
 * Node's fetch (undici).
 */
import { ProviderError, redactSecrets } from "../errors.js";
import type { AbortCause } from "./call-signal.js";

// Long enough for OpenAI's error messages, whole; a 502 HTML page is cut here.
const MAX_MESSAGE = 500;

/** The ProviderError for a call our signal aborted, whatever shape the client's error took. */
export function abortedError(cause: AbortCause, timeoutMs: number, err: unknown): ProviderError {
  return cause === "timeout"
    ? new ProviderError({ type: "timeout", message: `request timed out after ${timeoutMs} ms`, cause: err })
    : new ProviderError({ type: "cancelled", message: "request cancelled", cause: err });
}

/**
 * Errors raised below the HTTP status line, common to both clients (undici's fetch):
 * - `TypeError("fetch failed")` with a cause (ECONNREFUSED, ENOTFOUND, UND_ERR_SOCKET…) and
 *   `TypeError("terminated")` when the socket closes mid-body → `network`;
 * - `SyntaxError` from `response.json()` on a 2xx body that is not JSON (e.g. cut short) → `invalid_response`.
 * Classified by class and `cause.code`, not by message text. Returns undefined for anything else.
 */
export function transportError(err: unknown): ProviderError | undefined {
  if (err instanceof SyntaxError) {
    return new ProviderError({ type: "invalid_response", message: `response body is not valid JSON: ${err.message}`, cause: err });
  }
  // undici always attaches a cause to its TypeErrors; a TypeError without one is a bug in our code
  // (or a client's), which must not be retried as if it were a flaky network.
  if (err instanceof TypeError && err.cause !== undefined) {
    const code = systemErrorCode(err.cause);
    const detail = code ?? (err.cause instanceof Error ? err.cause.message : undefined);
    return new ProviderError({
      type: "network",
      message: detail === undefined ? `network error: ${err.message}` : `network error: ${err.message} (${detail})`,
      code,
      cause: err,
    });
  }
  return undefined;
}

function systemErrorCode(cause: unknown): string | undefined {
  if (typeof cause !== "object" || cause === null) return undefined;
  const code = (cause as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** One line, bounded length, and no copy of the key even if a server echoed it unmasked. */
export function cleanMessage(message: string, secret?: string): string {
  // Redact before cutting, so the cut cannot split a key into a piece the patterns miss.
  let text = redactSecrets(message.replace(/\s+/g, " ").trim());
  // Short placeholder keys ("x", "none") for keyless local servers would garble every message.
  if (secret !== undefined && secret.length >= 8) text = text.split(secret).join("***");
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}
