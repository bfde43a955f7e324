import { Readable, pipeline } from "node:stream";
import { parse, type CsvError, type InfoRecord } from "csv-parse";
import { UsageError } from "../errors.js";
import type { InputRecord, ReadItem } from "../types.js";
import { CrlfToLf } from "./crlf-to-lf.js";
import { NOT_UTF8, Utf8LineCheck } from "./utf8-lines.js";

export interface CsvReadOptions {
  /** `,` for CSV, `\t` for TSV. @default "," */
  delimiter?: "," | "\t";
  /** File name for header errors (row errors carry only the line; the engine adds the file). */
  name?: string;
}

/**
 * Reads CSV or TSV with csv-parse: the header row names the columns, each later row becomes a
 * record whose columns are its template variables. `id` (when non-empty) is the id, taken as the
 * text of the cell (`570306133677760513` and `1.0` stay as written); a row without one gets its
 * content id from the id registry (dedupe.ts). `prompt` (when non-empty) is the prompt.
 *
 * A row with bytes that are not UTF-8 becomes an invalid item (csv-parse alone would replace them
 * with U+FFFD and the damaged prompt would be sent).
 *
 * Line numbers are where a row starts, so a quoted cell spanning lines 4–6 is "line 4".
 *
 * A header row that cannot be parsed, or names a column twice, throws `UsageError` on the first
 * pull: without column names no row means anything.
 *
 * Bad rows. csv-parse runs with `skip_records_with_error`, so a row it rejects is reported
 * through `on_skip` and parsing goes on. Those reports are pushed into the parser's own output
 * stream, which keeps them in file order with the records and under the same backpressure.
 * - A wrong column count or a stray quote inside an unquoted cell spoils only that row: it
 *   becomes an invalid item and the next row is read normally.
 * - A broken closing quote (`"abc"x`) or a quote never closed leaves the parser inside a quoted
 *   cell: everything after it would be read as one garbled cell. Nothing later can be trusted,
 *   so the reader yields one invalid item at the failing row, saying the rest of the file could
 *   not be read, and stops. The user fixes the quote and runs again (or `--resume`s).
 */
export async function* readCsv(source: AsyncIterable<Uint8Array | string>, opts: CsvReadOptions = {}): AsyncGenerator<ReadItem> {
  const delimiter = opts.delimiter ?? ",";
  const name = opts.name ?? (delimiter === "," ? "<csv>" : "<tsv>");
  let lastErrorLine = 0;
  let headerRead = false;
  let idColumn = -1;
  /** Set once the parser has lost its place; it is the last item the reader yields. */
  let finalItem: ReadItem | undefined;
  const utf8 = new Utf8LineCheck();

  const parser = parse({
    delimiter,
    columns: (header: string[]) => {
      // Column names with replaced bytes would never match a template's {{field}}.
      if (utf8.anyBad(1, parser.info.lines)) throw new UsageError(`${name}: the header row is ${NOT_UTF8}`);
      headerRead = true;
      idColumn = header.indexOf("id");
      return checkHeader(header, name);
    },
    bom: true,
    relax_column_count: false,
    // TSV writers (spreadsheets, `cut`, databases) seldom quote, and a prompt starting with a quote
    // is common: in TSV a quote that does not close a cell properly is kept as text.
    relax_quotes: delimiter === "\t",
    skip_empty_lines: true,
    skip_records_with_error: true,
    // `raw` gives the text of the row so far, from which the row's first line is counted back.
    raw: true,
    // With `raw` on, csv-parse hands on_record `{ record, raw }` rather than the row alone.
    on_record: ({ record, raw }: { record: Record<string, string>; raw: string }, info: InfoRecord): ReadItem | null => {
      if (finalItem) return null;
      const line = startLine(info.lines, raw);
      if (utf8.anyBad(line, info.lines)) return { kind: "invalid", invalid: { id: record.id ?? "", line, message: NOT_UTF8 } };
      return { kind: "record", record: toCsvRecord(record, line) };
    },
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      if (finalItem || err === undefined) return;
      const errLines = typeof err.lines === "number" ? err.lines : 0;
      const line = startLine(errLines, raw);
      // csv-parse would take a bad header as the columns anyway and then drop the first data
      // row; without trustworthy column names no row can be read, so this stops the run.
      // (A throw from on_skip becomes the parser's error, which the loop below rethrows.)
      if (!headerRead) throw new UsageError(`${name}:${line}: the header row cannot be read: ${err.message}`);
      // A row with two stray quotes is reported twice; it is still one row, one output line.
      if (line === lastErrorLine) return;
      lastErrorLine = line;
      // A row with the wrong number of cells still has its cells: use its id when it has one.
      const cells = err.record;
      // "" (no id): the id registry makes it `#line-<n>`.
      const id = Array.isArray(cells) && typeof cells[idColumn] === "string" ? (cells[idColumn] as string) : "";
      const item: ReadItem = { kind: "invalid", invalid: { id, line, message: err.message } };
      if (DESYNCING.has(err.code)) {
        item.invalid.message += `; the rest of the file from line ${line} on could not be read (fix the quoting and run again)`;
        finalItem = item;
      }
      parser.push(item);
      return undefined;
    },
  });

  // Errors reach the loop below through the parser, which pipeline destroys with the first
  // error of any stage; the callback only has to exist, so there is nothing left for it to do.
  pipeline(Readable.from(source, { objectMode: false }), new CrlfToLf(), utf8, parser, () => {});

  for await (const item of parser as AsyncIterable<ReadItem>) {
    yield item;
    // Returning destroys the parser and, through pipeline, the file stream.
    if (item === finalItem) return;
  }
}

/** Errors after which csv-parse is still inside a quoted cell (see the function comment). */
const DESYNCING = new Set<string>(["CSV_INVALID_CLOSING_QUOTE", "CSV_QUOTE_NOT_CLOSED", "CSV_NON_TRIMABLE_CHAR_AFTER_CLOSING_QUOTE", "CSV_MAX_RECORD_SIZE"]);

function toCsvRecord(row: Record<string, string>, line: number): InputRecord {
  // An empty cell is how CSV says "no value", so an empty id or prompt counts as absent; a record
  // without an id ("") gets its content id (the header → cell object) from the id registry.
  const record: InputRecord = { id: row.id ?? "", line, vars: row };
  if (row.prompt) record.prompt = row.prompt;
  return record;
}

/**
 * The line a row starts on: csv-parse's current line minus the line breaks in the row's text.
 * `raw` may begin with skipped blank lines and end with the row's own newline; neither is part
 * of the row. Lone `\r` counts as a break because csv-parse counts it too.
 */
function startLine(currentLine: number, raw: string | undefined): number {
  if (raw === undefined) return currentLine;
  let from = 0;
  while (from < raw.length && (raw[from] === "\n" || raw[from] === "\r")) from++;
  let to = raw.length;
  if (to > from && raw[to - 1] === "\n") to--;
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) breaks++;
  }
  return currentLine - breaks;
}

/** Duplicate column names would silently lose all but one cell per row, so they stop the run. */
function checkHeader(header: string[], name: string): string[] {
  const seen = new Set<string>();
  for (const column of header) {
    if (seen.has(column)) throw new UsageError(`${name}: the header row names column ${JSON.stringify(column)} twice`);
    seen.add(column);
  }
  return header;
}
