import { Readable, pipeline } from "node:stream";
import { parse, type CsvError, type InfoRecord } from "csv-parse";
import { UsageError } from "../errors.js";
import type { InputRecord, ReadItem } from "../types.js";
import { CrlfToLf } from "./crlf-to-lf.js";
import { CsvQuoteGuard } from "./csv-quote-guard.js";
import { delimiterName } from "./input-sniff.js";
import { DEFAULT_MAX_LINE_BYTES } from "./line-splitter.js";
import type { InputEncoding } from "./text-encoding.js";
import { Utf8LineCheck } from "./utf8-lines.js";

export interface CsvReadOptions {
  /** One ASCII character: `,` for CSV, `\t` for TSV, `;` as European spreadsheets export. @default "," */
  delimiter?: string;
  /** File name for header errors (row errors carry only the line; the engine adds the file). */
  name?: string;
  /** Longest quoted cell read; a quote still open past it ends the input. @default 64 MiB, as a JSONL line */
  maxCellBytes?: number;
  /**
   * Called once when the reader could not read the input to its end (a quote never closed): what
   * was left unread, in words, for the summary and stderr. The reader's last item says it too.
   */
  onIncomplete?(message: string): void;
  /**
   * Called with the column names once the header row is read, before any row is handed on
   * (unnamed columns named as below, empty trailing ones left out). A throw ends the read.
   */
  onHeader?(columns: readonly string[]): void;
  /** The encoding the input was converted to UTF-8 from (`toUtf8`): it decides what a bad line is told. @default "utf-8" */
  decodedFrom?: InputEncoding;
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
 * Lines end at `\n`, `\r\n` or a lone `\r`, as in JSONL. Line numbers are where a row starts, so
 * a quoted cell spanning lines 4–6 is "line 4", and messages name no other line.
 *
 * A header row that cannot be parsed, or names a column twice, throws `UsageError` on the first
 * pull: without column names no row means anything.
 *
 * Spreadsheet exports, read as pandas reads them:
 * - Empty header cells at the end of the header (`a,b,,`: Excel keeps columns that were once
 *   touched) are unnamed columns: their cells are dropped when empty, and a row with text in one is
 *   an invalid item (the text has no name a template could use, and is not dropped unseen).
 * - An empty header cell before the last named one (`,Clothing ID,…`, a pandas index) is named
 *   `Unnamed: <i>`, its 0-based position, as pandas names it.
 * - A row with fewer cells than the header (Excel leaves out trailing empty cells) has the missing
 *   cells empty. A row with more cells than the header is an invalid item.
 * - A line of only spaces and tabs, unquoted, is skipped as blank, whatever the column count.
 *
 * Bad rows. csv-parse runs with `skip_records_with_error`, so a row it rejects is reported
 * through `on_skip` and parsing goes on. Those reports are pushed into the parser's own output
 * stream, which keeps them in file order with the records and under the same backpressure.
 * - A wrong column count or a stray quote inside an unquoted cell spoils only that row: it
 *   becomes an invalid item and the next row is read normally.
 * - A broken closing quote (`"abc"x`) spoils the row up to the end of that physical line; reading
 *   goes on with the next line (`CsvQuoteGuard` keeps csv-parse from reading on inside the cell).
 * - Only a quote never closed runs to the end of the input: the row it opens is the last item,
 *   saying which lines were not read, and `onIncomplete` is told.
 */
export async function* readCsv(source: AsyncIterable<Uint8Array | string>, opts: CsvReadOptions = {}): AsyncGenerator<ReadItem> {
  const delimiter = opts.delimiter ?? ",";
  const name = opts.name ?? (delimiter === "\t" ? "<tsv>" : "<csv>");
  // TSV writers (spreadsheets, `cut`, databases) seldom quote, and a prompt starting with a quote
  // is common: in TSV a quote that does not close a cell properly is kept as text.
  const relaxQuotes = delimiter === "\t";
  const maxCellBytes = opts.maxCellBytes ?? DEFAULT_MAX_LINE_BYTES;
  let lastErrorLine = 0;
  let headerRead = false;
  let idColumn = -1;
  let columnCount = 0;
  let columns: HeaderColumns = { named: [], keys: [] };
  const utf8 = new Utf8LineCheck(opts.decodedFrom);
  const guard = new CsvQuoteGuard({ delimiter, relaxQuotes, maxCellBytes });
  const describe = (err: CsvError, line: number) => describeCsvError(err, { line, lastLine: utf8.lines, columnCount, delimiter, truncated: guard.truncated, maxCellBytes });

  const parser = parse({
    delimiter,
    columns: (header: string[]) => {
      // Column names with replaced bytes would never match a template's {{field}}.
      const bad = utf8.firstBad(1, parser.info.lines);
      if (bad !== 0) throw new UsageError(`${name}: the header row is ${utf8.messageAt(bad)}`);
      headerRead = true;
      idColumn = header.indexOf("id");
      columnCount = header.length;
      columns = headerColumns(header, name);
      opts.onHeader?.(columns.named);
      return columns.keys;
    },
    bom: true,
    // After CrlfToLf, every `\n` and `\r` left is a line end (csv-parse would otherwise pick
    // whichever it meets first and read the other as text).
    record_delimiter: ["\n", "\r"],
    relax_column_count: false,
    // Short rows are read (their missing cells made empty below); long ones stay errors.
    relax_column_count_less: true,
    relax_quotes: relaxQuotes,
    skip_empty_lines: true,
    skip_records_with_error: true,
    // `raw` gives the text of the row so far, from which the row's first line is counted back.
    raw: true,
    // With `raw` on, csv-parse hands on_record `{ record, raw }` rather than the row alone.
    on_record: ({ record, raw }: { record: Record<string, string>; raw: string }, info: InfoRecord): ReadItem | null => {
      const line = startLine(info.lines, raw);
      const bad = utf8.firstBad(line, info.lines);
      if (bad !== 0) return { kind: "invalid", invalid: { id: record.id ?? "", line, message: utf8.messageAt(bad) } };
      // A quoted blank cell (`"  "`) was written on purpose: only an unquoted line is a blank line.
      if (isBlankRow(raw)) return null;
      const cells = info.index;
      if (cells < columns.named.length) {
        for (let i = cells; i < columns.named.length; i++) record[columns.named[i]!] = "";
      }
      if (cells > columns.named.length) {
        const problem = unnamedCellProblem(record, columns, cells);
        if (problem !== undefined) return { kind: "invalid", invalid: { id: record.id ?? "", line, message: problem } };
      }
      return { kind: "record", record: toCsvRecord(record, line) };
    },
    on_skip: (err: CsvError | undefined, raw: string | undefined) => {
      if (err === undefined) return;
      // A blank line of more tabs than the header has columns is still a blank line.
      if (err.code === "CSV_RECORD_INCONSISTENT_COLUMNS" && raw !== undefined && isBlankRow(raw)) return;
      const errLines = typeof err.lines === "number" ? err.lines : 0;
      const line = startLine(errLines, raw);
      // csv-parse would take a bad header as the columns anyway and then drop the first data
      // row; without trustworthy column names no row can be read, so this stops the run.
      // (A throw from on_skip becomes the parser's error, which the loop below rethrows.)
      if (!headerRead) throw new UsageError(`${name}:${line}: the header row cannot be read: ${describe(err, line)}`);
      const message = describe(err, line);
      // Told even when this row was already reported for another error: the input is cut short.
      if (err.code === "CSV_QUOTE_NOT_CLOSED") opts.onIncomplete?.(`${name}:${line}: ${message}`);
      // A row with two stray quotes is reported twice; it is still one row, one output line.
      if (line === lastErrorLine) return;
      lastErrorLine = line;
      // A row with the wrong number of cells still has its cells: use its id when it has one;
      // else read it from the row's text. "" (no id): the id registry makes it `#line-<n>`.
      const cells = err.record;
      const id = Array.isArray(cells) && typeof cells[idColumn] === "string" ? (cells[idColumn] as string) : idFromRowText(raw, idColumn, delimiter);
      parser.push({ kind: "invalid", invalid: { id, line, message } } satisfies ReadItem);
      return undefined;
    },
  });

  // Errors reach the loop below through the parser, which pipeline destroys with the first
  // error of any stage; the callback only has to exist, so there is nothing left for it to do.
  pipeline(Readable.from(source, { objectMode: false }), new CrlfToLf(), utf8, guard, parser, () => {});

  yield* parser as AsyncIterable<ReadItem>;
}

interface ErrorContext {
  /** Where the row starts. */
  line: number;
  /** The input's last line (known once the parser has reached the end). */
  lastLine: number;
  columnCount: number;
  delimiter: string;
  truncated: boolean;
  maxCellBytes: number;
}

/**
 * csv-parse's message in the reader's terms. Its own messages name the line it had reached, which
 * for a multi-line row is not the line the row starts on (the one rule for a row's line here).
 */
function describeCsvError(err: CsvError, at: ErrorContext): string {
  const column = typeof err.column === "string" ? ` in column ${JSON.stringify(err.column)}` : "";
  const delimiter = delimiterName(at.delimiter);
  switch (err.code) {
    case "CSV_RECORD_INCONSISTENT_COLUMNS": {
      const got = Array.isArray(err.record) ? err.record.length : undefined;
      return `the row has ${got === undefined ? "a different number of cells" : got === 1 ? "1 cell" : `${got} cells`}, but the header has ${at.columnCount} columns (a cell holding ${delimiter} must be quoted)`;
    }
    case "INVALID_OPENING_QUOTE":
      return `a quote inside an unquoted cell${column} (quote the whole cell and double each quote in it: "say ""hi""")`;
    case "CSV_INVALID_CLOSING_QUOTE":
      return `a quoted cell${column} is closed by a quote followed by more text instead of ${delimiter} or the line end (a quote inside a quoted cell is written twice: ""); the rest of this line was skipped with it`;
    case "CSV_QUOTE_NOT_CLOSED": {
      const why = at.truncated ? `runs past ${at.maxCellBytes} bytes without its closing quote` : "is never closed";
      const span = at.lastLine > at.line ? `lines ${at.line}–${at.lastLine}` : `line ${at.line}`;
      return `the quote opening a cell${column} ${why}, so the rest of the input, ${span}, could not be read as rows (fix the quote and run again)`;
    }
    default:
      return err.message;
  }
}

function toCsvRecord(row: Record<string, string>, line: number): InputRecord {
  // An empty cell is how CSV says "no value", so an empty id or prompt counts as absent; a record
  // without an id ("") gets its content id (the header → cell object) from the id registry.
  const record: InputRecord = { id: row.id ?? "", line, vars: row };
  if (row.prompt) record.prompt = row.prompt;
  return record;
}

/**
 * The line a row starts on: csv-parse's current line minus the line breaks in the row's text.
 * `raw` may begin with skipped blank lines and end with the row's own line end; neither is part
 * of the row. Lone `\r` counts as a break because csv-parse counts it too.
 */
function startLine(currentLine: number, raw: string | undefined): number {
  if (raw === undefined) return currentLine;
  let from = 0;
  while (from < raw.length && (raw[from] === "\n" || raw[from] === "\r")) from++;
  let to = raw.length;
  if (to > from && (raw[to - 1] === "\n" || raw[to - 1] === "\r")) to--;
  let breaks = 0;
  for (let i = from; i < to; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) breaks++;
  }
  return currentLine - breaks;
}

/**
 * The id cell of a row csv-parse could not read (a stray or broken quote), from the text of its
 * first line, when that is certain: no cell up to the id holds a quote (the id may be quoted
 * whole, `"7"`), and the id cell ends at a delimiter or the line's end. Else "".
 */
function idFromRowText(raw: string | undefined, idColumn: number, delimiter: string): string {
  if (raw === undefined || idColumn < 0) return "";
  let start = 0;
  while (raw[start] === "\n" || raw[start] === "\r") start++;
  let end = start;
  while (end < raw.length && raw[end] !== "\n" && raw[end] !== "\r") end++;
  const cells = raw.slice(start, end).split(delimiter, idColumn + 2);
  // The text stops where csv-parse met the error: a last cell without a line end after it may be cut short.
  if (cells.length <= idColumn || (cells.length === idColumn + 1 && end === raw.length)) return "";
  for (let i = 0; i < idColumn; i++) if (cells[i]!.includes('"')) return "";
  const cell = cells[idColumn]!;
  if (!cell.includes('"')) return cell;
  const inner = cell.slice(1, -1);
  return cell.length >= 2 && cell.startsWith('"') && cell.endsWith('"') && !inner.includes('"') ? inner : "";
}

interface HeaderColumns {
  /** The columns rows are read into, in order: the header's names, `Unnamed: <i>` for an empty one. */
  named: string[];
  /** What csv-parse names each cell: `named`, then a key for each unnamed trailing column. */
  keys: string[];
}

/**
 * The columns of a header row (see `readCsv` for the rules on empty cells). Duplicate names would
 * silently lose all but one cell per row, so they stop the run.
 */
function headerColumns(header: string[], name: string): HeaderColumns {
  let end = header.length;
  while (end > 0 && header[end - 1] === "") end--;
  if (end === 0) throw new UsageError(`${name}: the header row names no columns (every cell of it is empty)`);
  const named = header.slice(0, end).map((column, i) => (column === "" ? `Unnamed: ${i}` : column));
  // csv-parse assigns each cell as `row[column] = cell`: under this name that sets the row's
  // prototype instead, and the cell vanishes from every row.
  if (named.includes("__proto__")) {
    throw new UsageError(
      `${name}: the header row names a column "__proto__", which cannot be read as a field (it is JavaScript's name for an object's prototype, so its cells would vanish): rename the column`,
    );
  }
  const seen = new Set<string>();
  for (const column of named) {
    if (seen.has(column)) throw new UsageError(`${name}: the header row names column ${JSON.stringify(column)} twice`);
    seen.add(column);
  }
  // The NUL keeps these keys apart from any name a header row can hold.
  const keys = [...named];
  for (let i = end; i < header.length; i++) keys.push(`\u0000unnamed ${i}`);
  return { named, keys };
}

/**
 * A row with cells under unnamed trailing columns: the first one holding text is a problem; the
 * empty ones are removed from the record. They are deleted last-added first, which V8 undoes as
 * a shape transition, so the record stays a fast object.
 */
function unnamedCellProblem(record: Record<string, string>, columns: HeaderColumns, cells: number): string | undefined {
  for (let i = columns.named.length; i < cells; i++) {
    const text = record[columns.keys[i]!]!;
    if (text === "") continue;
    const shown = text.length > 40 ? `${text.slice(0, 37)}...` : text;
    return `cell ${i + 1} holds ${JSON.stringify(shown)}, but column ${i + 1} has no name in the header row (an empty header cell at the end of the header, as spreadsheets export unused columns, is read only when its cells are empty): name the column, or empty the cell`;
  }
  for (let i = cells - 1; i >= columns.named.length; i--) delete record[columns.keys[i]!];
  return undefined;
}

/**
 * The row's text is only spaces and tabs (a line blank to the eye, whatever the column count and
 * delimiter); `raw` may hold skipped empty lines before it and its own line end. Most rows stop at
 * their first character.
 */
function isBlankRow(raw: string): boolean {
  let blank = false;
  for (let i = 0; i < raw.length; i++) {
    const c = raw.charCodeAt(i);
    if (c === 0x20 || c === 0x09) blank = true;
    else if (c !== 0x0a && c !== 0x0d) return false;
  }
  return blank;
}
