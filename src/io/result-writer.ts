import { extname } from "node:path";
import { UsageError } from "../errors.js";
import type { GenerationResult } from "../types.js";
import { CsvResultWriter, type CsvLayout } from "./csv-writer.js";
import { JsonlResultWriter } from "./jsonl-writer.js";
import { OutputSink } from "./output-sink.js";

/**
 * Writes one output record per result, in the order `write` is called. Async-disposable so
 * `await using writer = await createResultWriter(…)` gets results to disk on error and abort.
 */
export interface ResultWriter {
  /** Resolves once the line is handed to the stream (waiting for 'drain' when its buffer is full). */
  write(result: GenerationResult): Promise<void>;
  /** Flushes; a file is also fsynced and closed, stdout is left open. Idempotent. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

export type OutputFormat = "jsonl" | "csv" | "tsv";
export const OUTPUT_FORMATS: readonly OutputFormat[] = ["jsonl", "csv", "tsv"];

export interface ResultWriterOptions {
  /** Output file; undefined or "-" writes to stdout. */
  path?: string;
  /** @default from the path's extension (see `outputFormatFor`); stdout: "jsonl" */
  format?: OutputFormat;
  /** Used for path "-". @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** Adds each record's input fields (`input` in JSONL, extra columns in CSV and TSV). @default false */
  includeInput?: boolean;
  /**
   * Appends to an existing file instead of truncating it (for `--resume`). A CSV header is
   * written only when the file is empty.
   * @default false
   */
  append?: boolean;
  /**
   * CSV and TSV with `includeInput`: the input fields to write as columns, those of the first
   * record of the input that can be read (in input order, whatever finishes first).
   * @default the fields of the first result written
   */
  inputColumns?: readonly string[];
  /** The columns of the CSV file a resume appends to (`prepareOutput` reads them). */
  csvLayout?: CsvLayout;
  /** CSV and TSV: prefix text a spreadsheet would run as a formula with `'` (see `formula-guard.ts`). @default true */
  csvGuard?: boolean;
  /** CSV and TSV: start a new file (or stdout) with a UTF-8 byte-order mark, for Excel; refused for JSONL. @default false */
  bom?: boolean;
}

export async function createResultWriter(opts: ResultWriterOptions = {}): Promise<ResultWriter> {
  const toStdout = opts.path === undefined || opts.path === "-";
  const format = resultFormat(opts);
  const sink = toStdout ? OutputSink.toStream(opts.stdout ?? process.stdout) : await OutputSink.toFile(opts.path!, opts.append);
  const includeInput = opts.includeInput ?? false;
  if (format === "jsonl") return new JsonlResultWriter(sink, includeInput);
  return new CsvResultWriter(sink, { includeInput, inputColumns: opts.inputColumns, delimiter: format === "tsv" ? "\t" : ",", guard: opts.csvGuard ?? true, bom: opts.bom ?? false }, opts.csvLayout);
}

/**
 * The format `opts` write, checked: a `UsageError` for an extension llmbatch cannot write, an
 * unknown `format`, or `bom` with JSON Lines. Cheap and touches nothing, so a run calls it
 * before anything is opened or sent.
 */
export function resultFormat(opts: Pick<ResultWriterOptions, "path" | "format" | "bom">): OutputFormat {
  const format = outputFormatFor(opts.path, opts.format);
  if (opts.bom && format === "jsonl") {
    throw new UsageError("--bom is for CSV and TSV output (-o x.csv, -o x.tsv or --output-format csv|tsv): a byte-order mark is not allowed in JSON Lines");
  }
  return format;
}

/** The extensions a results file can have, and what each writes. */
const EXTENSIONS: Readonly<Record<string, OutputFormat>> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  // JSON Lines, as `.json` input is read: one object per line, not one array.
  ".json": "jsonl",
  ".csv": "csv",
  ".tsv": "tsv",
};

/**
 * The format of the results: `explicit` (`--output-format`) when given, else what the path's
 * extension says; stdout (no path) and a name without an extension (`results`, `/dev/null`,
 * `/dev/fd/3`) are JSON Lines. Any other extension (`.xlsx`, `.txt`) is a `UsageError` listing the
 * formats: writing JSON Lines into a file named for something else would fail only when opened.
 */
export function outputFormatFor(path: string | undefined, explicit?: string): OutputFormat {
  if (explicit !== undefined) return parseOutputFormat(explicit);
  if (path === undefined || path === "-") return "jsonl";
  const ext = extname(path).toLowerCase();
  if (ext === "") return "jsonl";
  const format = EXTENSIONS[ext];
  if (format !== undefined) return format;
  const spreadsheet = SPREADSHEET.has(ext) ? `; a spreadsheet opens CSV: -o ${JSON.stringify(`${path.slice(0, -ext.length)}.csv`)} (add --bom for Excel)` : "";
  throw new UsageError(
    `-o ${JSON.stringify(path)}: llmbatch cannot write ${ext} files; it writes JSON Lines (.jsonl, .ndjson, .json), CSV (.csv) and TSV (.tsv)${spreadsheet}, or pass --output-format jsonl|csv|tsv to choose the format whatever the name; nothing was sent`,
  );
}

/** `--output-format`'s value, checked. */
export function parseOutputFormat(raw: string): OutputFormat {
  if ((OUTPUT_FORMATS as readonly string[]).includes(raw)) return raw as OutputFormat;
  throw new UsageError(`--output-format must be one of ${OUTPUT_FORMATS.join(", ")}, got ${JSON.stringify(raw)}`);
}

const SPREADSHEET = new Set([".xlsx", ".xls", ".xlsm", ".ods", ".numbers"]);
