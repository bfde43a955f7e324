/**
 * Helpers so callers compose results instead of checking `ok` at every turn. A failed result
 * passes through every helper unchanged; only `unwrap` turns it into an exception, for code that
 * prefers try/catch.
 */
import { resultError } from "../errors.js";
import type { FailedResult, GenerationResult, OkResult, ResultError } from "../types.js";

/** Whether the result succeeded; `T` is the caller's word for its output's type (not checked). */
export function isOk<T = unknown>(result: GenerationResult): result is OkResult<T> {
  return result.ok;
}

/**
 * Applies `fn` to the output of a successful result and returns a result with the new output;
 * a failed result comes back as it is. When `fn` throws, the result fails with a `pipeline_step`
 * error carrying the message, so one bad record never becomes an exception in a batch loop.
 */
export async function mapResult<T, U>(result: GenerationResult, fn: (output: T, result: OkResult<T>) => U | Promise<U>): Promise<GenerationResult<U>> {
  if (!result.ok) return result;
  const ok = result as OkResult<T>;
  try {
    return { ...ok, output: await fn(ok.output, ok) };
  } catch (err) {
    const { output: _dropped, ...rest } = ok;
    return { ...rest, ok: false, error: resultError("pipeline_step", `mapResult: ${err instanceof Error ? err.message : String(err)}`) };
  }
}

/** Thrown by `unwrap` for a failed result; `result` is the whole failed result. */
export class ResultFailedError extends Error {
  constructor(readonly result: FailedResult) {
    super(`${result.id}: ${result.error.type}: ${result.error.message}`);
    this.name = "ResultFailedError";
  }
}

/** The output of a successful result; throws `ResultFailedError` for a failed one. */
export function unwrap<T = unknown>(result: GenerationResult): T {
  if (result.ok) return result.output as T;
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
    if (r.ok) out.outputs.push({ id: r.id, output: r.output as T });
    else out.errors.push({ id: r.id, error: r.error });
  }
  return out;
}
