import { accessSync, constants, createReadStream, statSync } from "node:fs";
import { extname } from "node:path";
import { UsageError } from "../errors.js";
import type { ReadItem } from "../types.js";
import { readCsv } from "./csv-reader.js";
import { readJsonl } from "./jsonl-reader.js";

export type InputFormat = "jsonl" | "csv" | "tsv";
export const INPUT_FORMATS: readonly InputFormat[] = ["jsonl", "csv", "tsv"];

export interface OpenInputOptions {
  /** Overrides the format the file extension implies. @default from the extension; "jsonl" for stdin */
  format?: InputFormat;
  /** Read for the path "-". @default process.stdin */
  stdin?: NodeJS.ReadableStream;
  /** Longest JSONL line held in memory (see `splitLines`). @default 64 MiB */
  maxLineBytes?: number;
}

export interface OpenedInput {
  format: InputFormat;
  /** The path as given, or "<stdin>": what messages call the input. */
  name: string;
  /**
   * The items, in file order. Single use: the file is opened on the first pull and closed
   * when the loop ends or breaks. An empty file yields nothing (the caller says "no records").
   */
  items: AsyncIterable<ReadItem>;
}

const EXTENSIONS: Readonly<Record<string, InputFormat>> = {
  ".jsonl": "jsonl",
  ".ndjson": "jsonl",
  // Read as JSON Lines (one object per line), not as a JSON array.
  ".json": "jsonl",
  ".csv": "csv",
  ".tsv": "tsv",
};

/**
 * Opens an input file (or stdin for "-") as a stream of read items.
 *
 * Everything that can be wrong before reading starts (missing file, a directory, no read
 * permission, unknown extension) throws `UsageError` here, synchronously, so the CLI exits 2
 * before anything is sent.
 */
export function openInput(path: string, opts: OpenInputOptions = {}): OpenedInput {
  if (opts.format !== undefined && !INPUT_FORMATS.includes(opts.format)) {
    throw new UsageError(`--format must be one of ${INPUT_FORMATS.join(", ")}, got ${JSON.stringify(opts.format)}`);
  }
  if (path === "-") {
    const format = opts.format ?? "jsonl";
    const stdin = opts.stdin ?? process.stdin;
    return { format, name: "<stdin>", items: readAs(format, stdin, "<stdin>", opts) };
  }
  const format = checkInputFile(path, opts.format);
  // The stream is created inside the generator, so a caller that never iterates leaks no descriptor.
  const items = (async function* () {
    yield* readAs(format, createReadStream(path, { highWaterMark: 64 * 1024 }), path, opts);
  })();
  return { format, name: path, items };
}

/**
 * What `openInput` checks before reading a file (it exists, is a readable file, has a known
 * format): `UsageError` if not, else the format. For callers with work to do before opening it.
 */
export function checkInputFile(path: string, format?: InputFormat): InputFormat {
  checkReadable(path);
  return format ?? formatFromExtension(path);
}

/** The format an input path's extension implies; throws `UsageError` for an unknown one. */
export function formatFromExtension(path: string): InputFormat {
  const ext = extname(path).toLowerCase();
  const format = EXTENSIONS[ext];
  if (format !== undefined) return format;
  const known = Object.keys(EXTENSIONS).join(", ");
  const got = ext === "" ? "no extension" : `the extension "${ext}"`;
  throw new UsageError(`cannot tell the format of input "${path}" from ${got}: expected ${known}, or pass --format jsonl|csv|tsv`);
}

function readAs(format: InputFormat, source: AsyncIterable<Uint8Array | string>, name: string, opts: OpenInputOptions): AsyncGenerator<ReadItem> {
  if (format === "jsonl") return readJsonl(source, { maxLineBytes: opts.maxLineBytes, name });
  return readCsv(source, { delimiter: format === "tsv" ? "\t" : ",", name });
}

function checkReadable(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new UsageError(`cannot read input "${path}": ${reason(err)}`);
  }
  if (!isFile) throw new UsageError(`input "${path}" is not a file (expected a .jsonl, .csv or .tsv file, or - for stdin)`);
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}
