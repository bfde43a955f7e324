/**
 * Looking at the start of an input before reading it: which delimiter a CSV uses, and whether
 * what is about to be read as JSON Lines is in fact a CSV. Only the first few lines are held
 * (`peek`), then handed on, so a file or stdin is still read once, as a stream.
 */
import { toBuffer } from "./text-encoding.js";

/** Delimiters a CSV is sniffed for, in the order that breaks a tie. */
export const SNIFFED_DELIMITERS = [",", "\t", ";", "|"] as const;

/** Data rows after the header that a sniff compares with it. */
export const SNIFF_ROWS = 5;
/** Most bytes held while sniffing: a header longer than this is sniffed from what was seen. */
export const SNIFF_BYTES = 64 * 1024;

export interface Peeked {
  /** The first bytes of the input (possibly all of it). */
  head: Buffer;
  /** True when `head` is the whole input. */
  complete: boolean;
  /** The input from its first byte, `head` included. Single use. */
  source: AsyncIterable<Buffer>;
  /** Closes the input when `source` was not read to its end (it may never have been started). */
  close(): Promise<void>;
}

/**
 * Reads chunks of `source` until `enough(head)` says so, `maxBytes` are held or the input ends.
 * `enough` is asked only when a chunk brought a line end, so a caller counting lines sees each
 * line complete, and a stream of one-byte chunks costs a check per line, not per byte.
 */
export async function peek(source: AsyncIterable<Uint8Array | string>, enough: (head: Buffer) => boolean, maxBytes = SNIFF_BYTES): Promise<Peeked> {
  const it = source[Symbol.asyncIterator]();
  const chunks: Buffer[] = [];
  let size = 0;
  let complete = false;
  try {
    while (size < maxBytes) {
      const next = await it.next();
      if (next.done === true) {
        complete = true;
        break;
      }
      const chunk = toBuffer(next.value);
      if (chunk.length === 0) continue;
      chunks.push(chunk);
      size += chunk.length;
      if ((chunk.includes(0x0a) || chunk.includes(0x0d)) && enough(Buffer.concat(chunks, size))) break;
    }
  } catch (err) {
    await it.return?.();
    throw err;
  }
  const head = Buffer.concat(chunks, size);
  async function* replay(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (complete) return;
      for (;;) {
        const next = await it.next();
        if (next.done === true) return;
        yield toBuffer(next.value);
      }
    } finally {
      // The consumer stopped early (or an error): let the source close its file.
      if (!complete) await it.return?.();
    }
  }
  const close = async () => {
    if (!complete) await it.return?.();
  };
  return { head, complete, source: replay(), close };
}

/** `enough` for `peek`: true once `head` holds `n` line ends (a CRLF counts once). */
export function hasLines(n: number): (head: Buffer) => boolean {
  return (head) => lineEnds(head, n) >= n;
}

function lineEnds(head: Buffer, max: number): number {
  let count = 0;
  for (let i = 0; i < head.length && count < max; i++) {
    const b = head[i];
    if (b === 0x0a || (b === 0x0d && head[i + 1] !== 0x0a)) count++;
  }
  return count;
}

/**
 * The cells of each row of `text` when split at `delimiter`, following CSV quoting (a quote opens
 * a quoted cell only at the start of a cell; `""` inside is one quote). Only complete rows are
 * counted, plus the last one when `complete` (the text is the whole input). At most `maxRows`.
 */
export function cellsPerRow(text: string, delimiter: string, complete: boolean, maxRows = SNIFF_ROWS + 1): number[] {
  const rows: number[] = [];
  let cells = 1;
  let quoted = false;
  let atCellStart = true;
  let empty = true;
  for (let i = 0; i < text.length && rows.length < maxRows; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') i++;
        else quoted = false;
      }
      continue;
    }
    if (c === "\n" || c === "\r") {
      if (c === "\r" && text[i + 1] === "\n") i++;
      // Blank lines are skipped by the reader, so they are no rows here either.
      if (!empty) rows.push(cells);
      cells = 1;
      atCellStart = true;
      empty = true;
      continue;
    }
    empty = false;
    if (c === delimiter) {
      cells++;
      atCellStart = true;
    } else {
      if (c === '"' && atCellStart) quoted = true;
      atCellStart = false;
    }
  }
  if (complete && !empty && rows.length < maxRows) rows.push(cells);
  return rows;
}

export interface SniffedDelimiter {
  delimiter: string;
  /** Cells in the header row with it. */
  headerCells: number;
}

/**
 * The delimiter of a CSV from its first rows. The header row decides when only one of
 * `SNIFFED_DELIMITERS` splits it (outside quotes); when several do, the one that splits the most
 * of the next `SNIFF_ROWS` rows into as many cells as the header wins, then the one that gives
 * the header more cells, then the first in `SNIFFED_DELIMITERS` order. When none does (one
 * column), a comma.
 */
export function sniffDelimiter(text: string, complete: boolean): SniffedDelimiter {
  let best: { delimiter: string; headerCells: number; matching: number } | undefined;
  for (const delimiter of SNIFFED_DELIMITERS) {
    const rows = cellsPerRow(text, delimiter, complete);
    const headerCells = rows[0] ?? 1;
    if (headerCells < 2) continue;
    const matching = rows.slice(1).filter((n) => n === headerCells).length;
    if (best === undefined || matching > best.matching || (matching === best.matching && headerCells > best.headerCells)) {
      best = { delimiter, headerCells, matching };
    }
  }
  return best === undefined ? { delimiter: ",", headerCells: 1 } : { delimiter: best.delimiter, headerCells: best.headerCells };
}

/** `enough` for `peek` when sniffing a CSV: the header alone when only one delimiter splits it, else a few rows more. */
export function sniffEnough(head: Buffer): boolean {
  if (!hasLines(1)(head)) return false;
  const header = firstLine(head.toString("utf8"));
  const splitting = SNIFFED_DELIMITERS.filter((d) => (cellsPerRow(header, d, true)[0] ?? 1) > 1);
  return splitting.length <= 1 || hasLines(SNIFF_ROWS + 1)(head);
}

/** `enough` for `peek` before reading JSON Lines: the first non-blank line, and when it does not open an object, the next one. */
export function jsonlEnough(head: Buffer): boolean {
  const lines = nonBlankLines(head.toString("utf8"), 2);
  if (lines.length === 0) return false;
  if (lines[0]!.complete && opensJson(lines[0]!.text)) return true;
  return lines.length === 2 && lines[1]!.complete;
}

/**
 * When input about to be read as JSON Lines is a CSV: its header line, else `undefined`. The
 * rule is careful, so that a JSONL file with a broken first line is still read (and that line
 * reported) rather than refused: the first non-blank line is not JSON, does not open an object or
 * an array, and splits into two or more cells at a delimiter; and the next non-blank line, if
 * there is one, does not open an object either.
 */
export function csvHeaderInJsonl(head: Buffer, complete: boolean): { header: string; delimiter: string } | undefined {
  const lines = nonBlankLines(head.toString("utf8"), 2);
  const first = lines[0];
  if (first === undefined || !(first.complete || complete)) return undefined;
  const text = first.text.replace(/^\ufeff/, "").trim();
  if (opensJson(text) || isJson(text)) return undefined;
  const second = lines[1];
  if (second !== undefined && opensJson(second.text)) return undefined;
  const { delimiter, headerCells } = sniffDelimiter(text, true);
  return headerCells >= 2 ? { header: text, delimiter } : undefined;
}

function opensJson(line: string): boolean {
  const c = line.replace(/^\ufeff/, "").trimStart()[0];
  return c === "{" || c === "[";
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false; // not JSON is what is being asked
  }
}

function nonBlankLines(text: string, max: number): { text: string; complete: boolean }[] {
  const out: { text: string; complete: boolean }[] = [];
  const re = /([^\r\n]*)(\r\n|\r|\n|$)/g;
  for (let m = re.exec(text); m !== null && out.length < max; m = re.exec(text)) {
    if (m[0] === "") break;
    if (m[1]!.trim() !== "") out.push({ text: m[1]!, complete: m[2] !== "" });
  }
  return out;
}

function firstLine(text: string): string {
  const end = text.search(/[\r\n]/);
  return end === -1 ? text : text.slice(0, end);
}

/** `","` → "a comma": how messages name a delimiter. */
export function delimiterName(delimiter: string): string {
  switch (delimiter) {
    case ",":
      return "a comma";
    case "\t":
      return "a tab";
    case ";":
      return "a semicolon";
    default:
      return JSON.stringify(delimiter);
  }
}

/** What `--delimiter` and a pipeline's `input.delimiter` accept, in words. */
export const DELIMITER_RULE = 'one character such as "," ";" "|", or "\\t" (or "tab") for a tab; not a quote, a letter or a digit';

/**
 * A delimiter as given (`;`, `\t` as two characters, `tab`), as the one character the CSV reader
 * splits at; undefined when it cannot be one. Only ASCII: the reader looks for it byte by byte.
 */
export function parseDelimiter(raw: string): string | undefined {
  if (raw === "\\t" || raw.toLowerCase() === "tab") return "\t";
  if (raw.length !== 1) return undefined;
  const code = raw.charCodeAt(0);
  if (raw !== "\t" && (code < 0x20 || code > 0x7e)) return undefined;
  return /["A-Za-z0-9]/.test(raw) ? undefined : raw;
}
