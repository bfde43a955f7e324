/**
 * A batch output line read back as the answer of the call that asked for it, exactly as the same
 * answer over HTTP would have been: a 2xx body parsed by the provider, an HTTP error inside the line
 * classified by the provider's own classifier, and the Batch API's own failures as retriable errors
 * that send the request again in a later batch.
 */
import { ProviderError } from "../errors.js";
import type { BatchLine, BatchOutputLine } from "./batch-api.js";

/** The codes of failures of a batch, not of the request: retried (`--batch-fallback sync`: synchronously). */
export const BATCH_LEVEL_CODES: ReadonlySet<string> = new Set(["batch_expired", "batch_cancelled", "batch_missing_line", "batch_failed", "batch_lost"]);

/** Whether a failed attempt failed because of its batch rather than the request itself. */
export function isBatchLevel(error: ProviderError): boolean {
  return error.code !== undefined && BATCH_LEVEL_CODES.has(error.code);
}

/** A retriable failure of the batch a line was in; the retry goes into a later batch at once. */
export function batchLevelError(code: string, message: string): ProviderError {
  return new ProviderError({ type: code === "batch_expired" ? "timeout" : "server", code, message, retriable: true, retryAfterMs: 0 });
}

/** The answer of `line` in batch `batchId`, or throws the error it stands for. */
export function readLine<R>(line: BatchLine<R>, out: BatchOutputLine | undefined, batchId: string, customId: string): R {
  if (out === undefined) return throwError(batchLevelError("batch_missing_line", `batch ${batchId} ended without a line for ${customId}`));
  const r = out.response;
  if (r !== undefined && r.status >= 200 && r.status < 300) {
    const parsed = line.parse(r.body);
    (parsed as { batch?: unknown }).batch = { batch_id: batchId, request_id: out.id, custom_id: customId };
    return parsed;
  }
  if (r !== undefined) throw line.error(r.status, r.body);
  const code = out.error?.code ?? "batch_missing_line";
  const message = `batch ${batchId}: ${out.error?.message || code} (${customId})`;
  if (BATCH_LEVEL_CODES.has(code)) throw batchLevelError(code, message);
  // Another failure the Batch API reports without an HTTP answer: the server's, retried.
  throw new ProviderError({ type: "server", code, message, retriable: true, retryAfterMs: 0 });
}

function throwError(e: ProviderError): never {
  throw e;
}
