import { accessSync, constants, createReadStream, open, statSync, type Stats } from "node:fs";
import { Socket } from "node:net";
import { extname } from "node:path";
import { promisify } from "node:util";
import { UsageError } from "../errors.js";
import type { ReadItem } from "../types.js";
import { readCsv } from "./csv-reader.js";
import { dedupeIds } from "./dedupe.js";
import { csvHeaderInJsonl, delimiterName, hasLines, jsonlEnough, peek, sniffDelimiter, sniffEnough } from "./input-sniff.js";
import { readJsonl } from "./jsonl-reader.js";
import { bomEncoding, toUtf8, utf16WithoutBom, utf8InWindows1252Message, type InputEncoding } from "./text-encoding.js";

export type InputFormat = "jsonl" | "csv" | "tsv";
export const INPUT_FORMATS: readonly InputFormat[] = ["jsonl", "csv", "tsv"];

export interface OpenInputOptions {
  /** Overrides the format the file extension implies. @default from the extension; "jsonl" for stdin */
  format?: InputFormat;
  /** Read for the path "-". @default process.stdin */
  stdin?: NodeJS.ReadableStream;
  /** Longest JSONL line held in memory (see `splitLines`). @default 64 MiB */
  maxLineBytes?: number;
  /**
   * The CSV cell delimiter, one ASCII character (`--delimiter`, a pipeline's `input.delimiter`).
   * Input of no known format (stdin, a pipe) with a delimiter is read as CSV; JSON Lines ignores it.
   * @default a tab for TSV; for CSV, sniffed from the header row (see `sniffDelimiter`)
   */
  delimiter?: string;
  /**
   * The input's text encoding. A byte order mark at the start decides over it, as in the WHATWG
   * Encoding Standard: a file that starts with one says what it is.
   * @default "utf-8"
   */
  encoding?: InputEncoding;
  /** Told what reading decided that a user may not expect (a sniffed delimiter other than a comma, a byte order mark overriding `encoding`). */
  onInfo?(message: string): void;
  /**
   * Told what looks wrong with the input as a whole (a UTF-8 file read as Windows-1252, once).
   * @default onInfo
   */
  onWarning?(message: string): void;
  /**
   * Called with a CSV's column names once its header row is read, before any row is handed on.
   * What it throws (a `UsageError`: a template reads no such column) ends the read there.
   */
  onHeader?(columns: readonly string[]): void;
  /**
   * Wraps the stream the input is read from (stdin's, or the one opened for the path when reading
   * starts), e.g. with `stopReadingOn` so that a pipe is not read past an interrupt.
   * @default the stream as it is
   */
  wrapStream?(stream: NodeJS.ReadableStream): NodeJS.ReadableStream;
}

export interface OpenedInput {
  format: InputFormat;
  /** The path as given, or "<stdin>": what messages call the input. */
  name: string;
  /**
   * The items, in file order, each under its final id, unique in the input (see `dedupeIds`: a
   * record's own id, its content id, or `…#line-<n>`). Single use: the file is opened on the first
   * pull and closed when the loop ends or breaks. An empty file yields nothing (the caller says
   * "no records").
   */
  items: AsyncIterable<ReadItem>;
  /**
   * After the items: why the reader could not read the input to its end (a CSV quote never
   * closed), with the lines left unread, or `undefined` when it read all of it.
   */
  incomplete(): string | undefined;
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
 * A named pipe or a character device (`llmbatch run <(generate)`, `/dev/stdin`) is read once,
 * like stdin, and is JSONL unless its name or `--format` says otherwise.
 *
 * Everything that can be wrong before reading starts (missing file, a directory, no read
 * permission, unknown extension) throws `UsageError` here, synchronously, so the CLI exits 2
 * before anything is sent.
 */
export function openInput(path: string, opts: OpenInputOptions = {}): OpenedInput {
  if (opts.format !== undefined && !INPUT_FORMATS.includes(opts.format)) {
    throw new UsageError(`--format must be one of ${INPUT_FORMATS.join(", ")}, got ${JSON.stringify(opts.format)}`);
  }
  let incomplete: string | undefined;
  const wrap = opts.wrapStream ?? ((stream: NodeJS.ReadableStream) => stream);
  const reader: ReaderOptions = { ...opts, onIncomplete: (m) => (incomplete ??= m) };
  if (path === "-") {
    const format = opts.format ?? (opts.delimiter !== undefined ? "csv" : "jsonl");
    const stdin = wrap(opts.stdin ?? process.stdin);
    return { format, name: "<stdin>", items: dedupeIds(readAs(format, stdin, "<stdin>", reader)), incomplete: () => incomplete };
  }
  const format = checkInputFile(path, opts.format, opts.delimiter);
  // The stream is created inside the generator, so a caller that never iterates leaks no descriptor.
  const items = (async function* () {
    yield* readAs(format, wrap(await openStream(path)), path, reader);
  })();
  // Ids are made final here, so every caller (the CLI, the library's `openInput(…).items`) gets the same ones.
  return { format, name: path, items: dedupeIds(items), incomplete: () => incomplete };
}

/**
 * The stream of a path's bytes. A named pipe is read as stdin's pipe is, through a socket
 * (non-blocking): a file stream's read of a pipe waits in a thread of libuv's pool, where nothing
 * can stop it, so a pipe kept open by its producer would hold the process after an interrupt.
 */
async function openStream(path: string): Promise<NodeJS.ReadableStream> {
  if (!statSync(path).isFIFO()) return createReadStream(path, { highWaterMark: 64 * 1024 });
  // Opening a pipe waits for its writer: in libuv's pool, not on the event loop.
  const fd = await promisify(open)(path, "r");
  return new Socket({ fd, readable: true, writable: false });
}

/**
 * What `openInput` checks before reading a file (it exists, can be read, has a known format):
 * `UsageError` if not, else the format. For callers with work to do before opening it.
 */
export function checkInputFile(path: string, format?: InputFormat, delimiter?: string): InputFormat {
  const regular = checkReadable(path);
  if (format !== undefined) return format;
  // `<(generate)` is a path such as /dev/fd/63: no extension, read as stdin would be.
  if (regular || knownExtension(path)) return formatFromExtension(path);
  return delimiter !== undefined ? "csv" : "jsonl";
}

/** False for stdin, pipes and devices: what can be read only once (`--strict` reads its input twice). */
export function canReadTwice(path: string): boolean {
  if (path === "-") return false;
  try {
    return statSync(path).isFile();
  } catch {
    return true; // gone or unreadable: opening it says why, with the path
  }
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

function knownExtension(path: string): boolean {
  return EXTENSIONS[extname(path).toLowerCase()] !== undefined;
}

interface ReaderOptions extends Pick<OpenInputOptions, "maxLineBytes" | "delimiter" | "encoding" | "onInfo" | "onWarning" | "onHeader"> {
  onIncomplete(message: string): void;
}

/**
 * The input's items: its first bytes are looked at (encoding, delimiter, a CSV where JSON Lines
 * is expected) before the reader gets them, all at the first pull, so nothing is read before the
 * caller asks and a `UsageError` from a look comes before any item.
 */
async function* readAs(format: InputFormat, source: AsyncIterable<Uint8Array | string>, name: string, opts: ReaderOptions): AsyncGenerator<ReadItem> {
  const raw = await peek(source, hasLines(1), 512);
  try {
    const { text, decodedFrom } = decoded(raw.head, raw.source, name, opts);
    if (format === "jsonl") {
      if (opts.delimiter !== undefined) opts.onInfo?.(`${name} is read as JSON Lines: the delimiter ${JSON.stringify(opts.delimiter)} does not apply to it`);
      const start = await peek(text, jsonlEnough);
      const csv = csvHeaderInJsonl(start.head, start.complete);
      if (csv !== undefined) throw new UsageError(csvAsJsonlMessage(name, csv));
      yield* readJsonl(start.source, { maxLineBytes: opts.maxLineBytes, name, decodedFrom });
      return;
    }
    let delimiter = opts.delimiter ?? (format === "tsv" ? "\t" : undefined);
    let rows = text;
    if (delimiter === undefined) {
      const start = await peek(text, sniffEnough);
      delimiter = sniffDelimiter(start.head.toString("utf8"), start.complete).delimiter;
      if (delimiter !== ",") opts.onInfo?.(`${name}: cells are separated by ${delimiterName(delimiter)}, as sniffed from the header row (--delimiter sets it)`);
      rows = start.source;
    }
    yield* readCsv(rows, { delimiter, name, onIncomplete: opts.onIncomplete, onHeader: opts.onHeader, decodedFrom });
  } finally {
    await raw.close();
  }
}

/** The input as UTF-8, from its byte order mark, else `opts.encoding`, else UTF-8; and the encoding it was read as. */
function decoded(head: Buffer, source: AsyncIterable<Buffer>, name: string, opts: ReaderOptions): { text: AsyncIterable<Buffer>; decodedFrom: InputEncoding } {
  const bom = bomEncoding(head);
  let encoding = opts.encoding ?? "utf-8";
  if (bom !== undefined && bom !== encoding) {
    if (opts.encoding !== undefined) opts.onInfo?.(`${name} starts with a ${bom} byte order mark, so it is read as ${bom}, not ${opts.encoding}`);
    encoding = bom;
  }
  if (bom === undefined && encoding === "utf-8") {
    const utf16 = utf16WithoutBom(head);
    if (utf16 !== undefined) throw new UsageError(`${name}: the input looks like ${utf16.toUpperCase()} text without a byte order mark (every other byte is 0); run with --encoding ${utf16}`);
  }
  if (encoding === "utf-8") return { text: source, decodedFrom: encoding };
  const warn = opts.onWarning ?? opts.onInfo;
  const onUtf8 = warn && ((line: number, bytes: Buffer) => warn(utf8InWindows1252Message(`${name}:${line}`, bytes)));
  return { text: toUtf8(source, encoding, onUtf8), decodedFrom: encoding };
}

function csvAsJsonlMessage(name: string, csv: { header: string; delimiter: string }): string {
  const preview = csv.header.length > 80 ? `${csv.header.slice(0, 77)}...` : csv.header;
  const format = csv.delimiter === "\t" ? "--format tsv" : "--format csv";
  return `${name} is read as JSON Lines, but its first line is not JSON and looks like a CSV header (${JSON.stringify(preview)}): add ${format}; nothing was sent`;
}

/** Throws `UsageError` unless `path` can be read as a stream of bytes; true for a regular file. */
function checkReadable(path: string): boolean {
  let stats: Stats;
  try {
    stats = statSync(path);
    accessSync(path, constants.R_OK);
  } catch (err) {
    throw new UsageError(`cannot read input "${path}": ${reason(err)}`);
  }
  if (stats.isFile()) return true;
  // Pipes and devices are read once from start to end, as stdin is; a directory or a socket
  // cannot be read that way at all.
  if (stats.isFIFO() || stats.isCharacterDevice() || stats.isBlockDevice()) return false;
  const kind = stats.isDirectory() ? "a directory" : stats.isSocket() ? "a socket" : "of an unknown kind";
  throw new UsageError(`input "${path}" is ${kind}, not something to read records from (expected a .jsonl, .csv or .tsv file, a pipe, or - for stdin)`);
}

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  return err instanceof Error ? err.message : String(err);
}
