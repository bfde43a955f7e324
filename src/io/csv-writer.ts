import { UsageError } from "../errors.js";
import type { GenerationResult } from "../types.js";
import { guardFormula } from "./formula-guard.js";
import type { OutputSink } from "./output-sink.js";
import type { ResultWriter } from "./result-writer.js";
import { wellFormedJson } from "./well-formed.js";

/** Fixed columns of the CSV output, a flattened subset of the JSONL line (see README). */
export const CSV_COLUMNS = ["id", "ok", "output", "finish_reason", "error_type", "error_message", "input_tokens", "output_tokens", "cached_tokens", "cost_usd", "attempts", "latency_ms"] as const;

/** What a result can carry that the CSV columns do not hold (JSONL output keeps them). */
export const CSV_LOST_FIELDS = ["tool_calls", "function_call", "logprobs", "choices", "metadata"] as const satisfies readonly (keyof GenerationResult)[];

/** RFC 4180 line ending (Excel's and Python's `csv` too, for TSV as for CSV). */
const EOL = "\r\n";
const BOM = "\ufeff";

/** How cells are written: the delimiter, and whether formula-like text gets the `'` guard. */
export interface CellFormat {
  /** `,` for CSV, a tab for TSV. */
  delimiter: "," | "\t";
  /** Prefix text that a spreadsheet would run as a formula with `'` (see `formula-guard.ts`). */
  guard: boolean;
}

/** RFC 4180 cells, unguarded: what `csvField` writes by default. */
export const PLAIN_CSV: CellFormat = { delimiter: ",", guard: false };

export interface CsvWriterOptions extends CellFormat {
  /** See `CsvResultWriter`. */
  includeInput: boolean;
  /** With `includeInput`: the input fields that get columns (see `CsvResultWriter`). @default those of the first result written */
  inputColumns?: readonly string[];
  /** Start a new file (or stdout) with a UTF-8 byte-order mark, for Excel. */
  bom: boolean;
}

/**
 * CSV (or TSV) results, for spreadsheets. Backoff, steps and error details beyond type and message
 * are only in JSONL.
 *
 * TSV is written as Excel writes it and as pandas and Python's `csv` read it (`excel_tab`): the
 * same columns and quoting rules as the CSV, with a tab between cells; a cell holding a tab, a
 * quote or a line break is quoted, its quotes doubled.
 *
 * With `includeInput`, the input fields follow as extra columns named after the fields; a field
 * whose name is already a result column (`id`, `output`, …) becomes `input.<field>`, so no
 * header names a column twice. A CSV header is fixed once written, so the columns are given up
 * front (`inputColumns`): a run gives the fields of the first record of its input that can be read,
 * in input order, so the header does not depend on which result finishes first, and a resume
 * checks its input by the same rule. Later records leave missing fields empty, and fields the
 * first record lacked are not written (use JSONL output to keep every field).
 *
 * A resume writes the columns of the file it continues (`layout`, from `resumeLayout`), so every
 * row matches the header.
 */
export class CsvResultWriter implements ResultWriter {
  readonly #sink: OutputSink;
  readonly #opts: CsvWriterOptions;
  readonly #resultIndexes: number[] | undefined;
  #inputColumns: string[] | undefined;

  constructor(sink: OutputSink, opts: CsvWriterOptions, layout?: CsvLayout) {
    this.#sink = sink;
    this.#opts = opts;
    if (layout && !sink.fresh) {
      this.#resultIndexes = layout.resultColumns.map((c) => (CSV_COLUMNS as readonly string[]).indexOf(c));
      this.#inputColumns = layout.inputFields;
    }
  }

  write(result: GenerationResult): Promise<void> {
    if (this.#resultIndexes) {
      const all = resultCells(result);
      const input = result.input ?? {};
      return this.#sink.write(csvLine([...this.#resultIndexes.map((i) => all[i]), ...this.#inputColumns!.map((c) => input[c])], this.#opts));
    }
    let header = "";
    if (this.#inputColumns === undefined) {
      const first = this.#opts.inputColumns ?? (result.input && Object.keys(result.input));
      this.#inputColumns = this.#opts.includeInput && first ? [...first] : [];
      // Appending to a file that already has rows (resume): its header (and BOM) is already there.
      if (this.#sink.fresh) header = (this.#opts.bom ? BOM : "") + csvLine([...CSV_COLUMNS, ...this.#inputColumns.map(inputColumnName)], this.#opts);
    }
    const input = result.input ?? {};
    const cells = [...resultCells(result), ...this.#inputColumns.map((c) => input[c])];
    // Header and first row in one write, so the file never holds a header alone mid-run.
    return this.#sink.write(header + csvLine(cells, this.#opts));
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

/** The columns of a CSV results file a resume continues, split into result columns and input fields. */
export interface CsvLayout {
  /** The file's result columns, in its order: those of `CSV_COLUMNS` it has. */
  resultColumns: string[];
  /** The input fields its `--include-input` columns hold (`input.id` → `id`). */
  inputFields: string[];
  /** Result columns this version writes that the file lacks (it was started by an earlier one). */
  missing: string[];
}

/**
 * How a resume writes into a CSV file whose header is `header`: its result columns are the
 * longest start of it that follows `CSV_COLUMNS` in order (a file an earlier version started may
 * lack some, which this resume then leaves out too), the rest are input columns. Throws a
 * `UsageError` when the columns cannot be kept: the file has input columns and `includeInput` is
 * off (the rows would leave them empty), or it has none and `includeInput` is on (the input the
 * user asked for would be lost).
 */
export function resumeLayout(path: string, header: readonly string[], includeInput: boolean): CsvLayout {
  const resultColumns: string[] = [];
  let next = 0;
  for (const column of header) {
    const at = (CSV_COLUMNS as readonly string[]).indexOf(column, next);
    if (at === -1) break;
    resultColumns.push(column);
    next = at + 1;
  }
  const inputColumns = header.slice(resultColumns.length);
  const again = "resume with the flags of the first run, or write to a new -o file";
  if (!resultColumns.includes("id") || !resultColumns.includes("ok")) {
    throw new UsageError(`cannot resume "${path}": its header (${header.join(",")}) does not start with llmbatch's result columns (${CSV_COLUMNS.join(",")}); write to a new -o file`);
  }
  if (!includeInput && inputColumns.length > 0) {
    throw new UsageError(`cannot resume "${path}" without --include-input: it has input columns (${inputColumns.join(", ")}) that the new rows would leave empty; ${again}`);
  }
  if (includeInput && inputColumns.length === 0) {
    throw new UsageError(
      `cannot resume "${path}" with --include-input: it has no input columns (its first run was without --include-input, or could read no record at the start of its input) and a CSV file cannot gain columns, so the input would be lost; resume without --include-input, or write to a new -o file (JSONL output keeps every field)`,
    );
  }
  const inputFields = inputColumns.map((c) => (c.startsWith("input.") && FIXED.has(c.slice("input.".length)) ? c.slice("input.".length) : c));
  return { resultColumns, inputFields, missing: CSV_COLUMNS.filter((c) => !resultColumns.includes(c)) };
}

function resultCells(r: GenerationResult): unknown[] {
  return [r.id, r.ok, r.output, r.finish_reason, r.error?.type, r.error?.message, r.usage.input_tokens, r.usage.output_tokens, r.usage.cached_tokens, r.cost_usd, r.attempts, r.latency_ms];
}

export function csvLine(cells: readonly unknown[], format: CellFormat = PLAIN_CSV): string {
  return cells.map((cell) => csvField(cell, format)).join(format.delimiter) + EOL;
}

const NEEDS_QUOTES = { ",": /[",\r\n]/, "\t": /["\t\r\n]/ } as const;

/**
 * One RFC 4180 field: quoted when it holds the delimiter, a quote, CR or LF, with quotes doubled.
 * Missing values and null are empty; objects and arrays (structured output) are JSON. A lone
 * surrogate becomes U+FFFD (Node's UTF-8 encoder does that for strings; `wellFormedJson` for
 * JSON, which would otherwise hold a `\ud800` escape). With `guard`, only string values (text from
 * the input or a model) can get the formula guard's `'`: numbers, booleans and JSON cannot be formulas.
 */
export function csvField(value: unknown, format: CellFormat = PLAIN_CSV): string {
  if (value === undefined || value === null) return "";
  let text: string;
  if (typeof value === "string") text = format.guard ? guardFormula(value) : value;
  else text = typeof value === "object" ? wellFormedJson(value) : String(value);
  return NEEDS_QUOTES[format.delimiter].test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}
