import type { GenerationResult } from "../types.js";
import type { OutputSink } from "./output-sink.js";
import type { ResultWriter } from "./result-writer.js";
import { wellFormedJson } from "./well-formed.js";

/**
 * The key order of an output line: what a reader scans for first (id, ok, output/error)
 * comes first, bulky details (steps, input) last. Part of the output contract (DESIGN.md).
 */
export const RESULT_KEYS = [
  "id",
  "ok",
  "output",
  "error",
  "model",
  "provider",
  "usage",
  "cost_usd",
  "saved_usd",
  "attempts",
  "backoff",
  "latency_ms",
  "finish_reason",
  "tool_calls",
  "function_call",
  "logprobs",
  "choices",
  "metadata",
  "steps",
] as const satisfies readonly (keyof GenerationResult)[];

/**
 * One result as one JSON line (with its `\n`). Undefined keys are left out; `null` stays. The
 * line is well-formed UTF-8 JSON: a lone surrogate (from a provider's answer) is written as U+FFFD.
 */
export function formatJsonlLine(result: GenerationResult, includeInput: boolean): string {
  const ordered: Record<string, unknown> = {};
  for (const key of RESULT_KEYS) {
    if (result[key] !== undefined) ordered[key] = result[key];
  }
  if (includeInput && result.input !== undefined) ordered.input = result.input;
  return `${wellFormedJson(ordered)}\n`;
}

/** JSON Lines results: one line per `write`, written with a single stream write (line-atomic). */
export class JsonlResultWriter implements ResultWriter {
  readonly #sink: OutputSink;
  readonly #includeInput: boolean;

  constructor(sink: OutputSink, includeInput: boolean) {
    this.#sink = sink;
    this.#includeInput = includeInput;
  }

  write(result: GenerationResult): Promise<void> {
    return this.#sink.write(formatJsonlLine(result, this.#includeInput));
  }

  close(): Promise<void> {
    return this.#sink.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
