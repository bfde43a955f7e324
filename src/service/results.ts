/**
 * Helpers so callers compose results instead of checking `ok` at every turn. A failed result
 * passes through every helper unchanged; only `unwrap` turns it into an exception, for code that
 * prefers try/catch.
 */
import { resultError } from "../errors.js";
import type { GenerationResult, ResultError } from "../types.js";

/** A result that succeeded, with its output typed. */
export type OkResult<T = unknown> = GenerationResult & { ok: true; output: T };

export function isOk<T = unknown>(result: GenerationResult): result is OkResult<T> {
  return result.ok;
}

/**
 * Applies `fn` to the output of a successful result and returns a result with the new output;
 * a failed result comes back as it is. When `fn` throws, the result fails with a `pipeline_step`
 * error carrying the message, so one bad record never becomes an exception in a batch loop.
 */
export async function mapResult<T, U>(result: GenerationResult, fn: (output: T, result: OkResult<T>) => U | Promise<U>): Promise<GenerationResult> {
  if (!isOk<T>(result)) return result;
  try {
    return { ...result, output: await fn(result.output, result) };
  } catch (err) {
    const { output: _dropped, ...rest } = result;
    return { ...rest, ok: false, error: resultError("pipeline_step", `mapResult: ${err instanceof Error ? err.message : String(err)}`) };
  }
}

/** Thrown by `unwrap` for a failed result; `result` is the whole failed result. */
export class ResultFailedError extends Error {
  constructor(readonly result: GenerationResult) {
    super(`${result.id}: ${result.error?.type ?? "unknown"}: ${result.error?.message ?? "failed"}`);
    this.name = "ResultFailedError";
  }
}

/** The output of a successful result; throws `ResultFailedError` for a failed one. */
export function unwrap<T = unknown>(result: GenerationResult): T {
  if (isOk<T>(result)) return result.output;
  throw new ResultFailedError(result);
}

export interface CollectedResults<T> {
  /** Outputs of the successful results, in the order they came. */
  outputs: { id: string; output: T }[];
  /** Errors of the failed ones, in the order they came. */
  errors: { id: string; error: ResultError }[];
}

/**
 * Drains results (an array, promises of results, or the async iterable `engine.run` and
 * `runPipeline` return) into outputs and errors.
 */
export async function collectResults<T = unknown>(results: Iterable<GenerationResult | Promise<GenerationResult>> | AsyncIterable<GenerationResult>): Promise<CollectedResults<T>> {
  const out: CollectedResults<T> = { outputs: [], errors: [] };
  for await (const r of results) {
    if (isOk<T>(r)) out.outputs.push({ id: r.id, output: r.output });
    else out.errors.push({ id: r.id, error: r.error ?? resultError("unknown", "failed without an error") });
  }
  return out;
}
