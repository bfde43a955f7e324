import type { GenerationResult } from "../types.js";
import type { OutputSink } from "./output-sink.js";
import type { ResultWriter } from "./result-writer.js";
import { wellFormedJson } from "./well-formed.js";

/** Fixed columns of the CSV output, a flattened subset of the JSONL line (see README). */
export const CSV_COLUMNS = [
  "id",
  "ok",
  "output",
  "finish_reason",
  "error_type",
  "error_message",
  "input_tokens",
  "output_tokens",
  "cached_tokens",
  "cost_usd",
  "attempts",
  "latency_ms",
] as const;

/** RFC 4180 line ending. */
const EOL = "\r\n";

/**
 * CSV results, for spreadsheets. Backoff, steps and error details beyond type and message
 * are only in JSONL.
 *
 * With `includeInput`, the input fields follow as extra columns named after the fields; a field
 * whose name is already a result column (`id`, `output`, …) becomes `input.<field>`, so no
 * header names a column twice. A CSV header is
 * fixed once written, so the columns are those of the FIRST result's input: later records
 * leave missing fields empty, and fields the first record lacked are not written (use JSONL
 * output to keep every field).
 */
export class CsvResultWriter implements ResultWriter {
  readonly #sink: OutputSink;
  readonly #includeInput: boolean;
  #inputColumns: string[] | undefined;

  constructor(sink: OutputSink, includeInput: boolean) {
    this.#sink = sink;
    this.#includeInput = includeInput;
  }

  write(result: GenerationResult): Promise<void> {
    let header = "";
    if (this.#inputColumns === undefined) {
      this.#inputColumns = this.#includeInput && result.input ? Object.keys(result.input) : [];
      // Appending to a file that already has rows (resume): its header is already there.
      if (this.#sink.fresh) header = csvLine([...CSV_COLUMNS, ...this.#inputColumns.map(inputColumnName)]);
    }
    const input = result.input ?? {};
    const cells = [...resultCells(result), ...this.#inputColumns.map((c) => input[c])];
    // Header and first row in one write, so the file never holds a header alone mid-run.
    return this.#sink.write(header + csvLine(cells));
  }

  close(): Promise<void> {
    return this.#sink.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

const FIXED = new Set<string>(CSV_COLUMNS);

function inputColumnName(field: string): string {
  return FIXED.has(field) ? `input.${field}` : field;
}

function resultCells(r: GenerationResult): unknown[] {
  return [
    r.id,
    r.ok,
    r.output,
    r.finish_reason,
    r.error?.type,
    r.error?.message,
    r.usage.input_tokens,
    r.usage.output_tokens,
    r.usage.cached_tokens,
    r.cost_usd,
    r.attempts,
    r.latency_ms,
  ];
}

export function csvLine(cells: readonly unknown[]): string {
  return cells.map(csvField).join(",") + EOL;
}

/**
 * One RFC 4180 field: quoted when it holds a comma, quote, CR or LF, with quotes doubled.
 * Missing values and null are empty; objects and arrays (structured output) are JSON. A lone
 * surrogate becomes U+FFFD (Node's UTF-8 encoder does that for strings; `wellFormedJson` for
 * JSON, which would otherwise hold a `\ud800` escape).
 */
export function csvField(value: unknown): string {
  if (value === undefined || value === null) return "";
  const text = typeof value === "object" ? wellFormedJson(value) : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
