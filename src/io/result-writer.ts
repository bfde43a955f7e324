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

export type OutputFormat = "jsonl" | "csv";

export interface ResultWriterOptions {
  /** Output file; undefined or "-" writes to stdout. */
  path?: string;
  /** @default "csv" for a .csv path, else "jsonl" */
  format?: OutputFormat;
  /** Used for path "-". @default process.stdout */
  stdout?: NodeJS.WritableStream;
  /** Adds each record's input fields (`input` in JSONL, extra columns in CSV). @default false */
  includeInput?: boolean;
  /**
   * Appends to an existing file instead of truncating it (for `--resume`). A CSV header is
   * written only when the file is empty.
   * @default false
   */
  append?: boolean;
  /** The columns of the CSV file a resume appends to (`prepareOutput` reads them). */
  csvLayout?: CsvLayout;
}

export async function createResultWriter(opts: ResultWriterOptions = {}): Promise<ResultWriter> {
  const toStdout = opts.path === undefined || opts.path === "-";
  const format = opts.format ?? (toStdout ? "jsonl" : outputFormatFor(opts.path!));
  if (format !== "jsonl" && format !== "csv") {
    throw new UsageError(`output format must be jsonl or csv, got ${JSON.stringify(format)}`);
  }
  const sink = toStdout ? OutputSink.toStream(opts.stdout ?? process.stdout) : await OutputSink.toFile(opts.path!, opts.append);
  const includeInput = opts.includeInput ?? false;
  return format === "csv" ? new CsvResultWriter(sink, includeInput, opts.csvLayout) : new JsonlResultWriter(sink, includeInput);
}

/** The output format a path implies: CSV for .csv, JSON Lines for anything else. */
export function outputFormatFor(path: string): OutputFormat {
  return extname(path).toLowerCase() === ".csv" ? "csv" : "jsonl";
}
