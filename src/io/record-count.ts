/**
 * How many records an input file holds, counted in one quick pass over its bytes for the progress
 * line's total, without parsing: JSONL records are its non-blank lines; CSV and TSV records are its
 * non-empty rows after the header, where a line break inside a quoted cell does not end the row.
 *
 * A quote opens a quoted cell only at the start of a cell (after a line break or a `,` `;` `\t` `|`),
 * as csv-parse reads it; a quote inside an unquoted cell is text. So the count equals what the
 * readers yield for any file they read to the end; a file whose quoting they cannot follow may
 * count differently, which the progress line survives (it drops a total that `done` outgrows).
 *
 * Memory: one 256 KiB buffer, reused. UTF-16 files (by their byte order mark) are decoded chunk
 * by chunk, since their line breaks and quotes are two bytes wide.
 */
import { open } from "node:fs/promises";
import { TextDecoder } from "node:util";
import type { InputFormat } from "./open-input.js";

const CHUNK = 256 * 1024;
const LF = 0x0a;
const CR = 0x0d;
const QUOTE = 0x22;
const CELL_STARTS: ReadonlySet<number> = new Set([0x2c, 0x3b, 0x09, 0x7c]); // , ; \t |
const BLANK: ReadonlySet<number> = new Set([0x20, 0x09, 0x0d, 0x0c, 0x0b, 0xfeff]);

/** A chunk as the scanner sees it: bytes (ASCII-compatible encodings) or decoded UTF-16 text. */
interface Chunk {
  length: number;
  at(i: number): number;
  find(code: number, from: number): number;
}

function bytesChunk(buf: Buffer): Chunk {
  return { length: buf.length, at: (i) => buf[i]!, find: (code, from) => buf.indexOf(code, from) };
}

function textChunk(text: string): Chunk {
  return { length: text.length, at: (i) => text.charCodeAt(i), find: (code, from) => text.indexOf(String.fromCharCode(code), from) };
}

/** Counts records chunk by chunk; `records` is the count once every chunk has been fed. */
export class RecordCounter {
  readonly #csv: boolean;
  /** The current line makes a record (JSONL: it is not blank; CSV: it is not empty). */
  #content = false;
  /** Inside a quoted CSV cell, where a line break does not end the row. */
  #quoted = false;
  /** The last chunk ended on a quote inside a quoted cell: the next character tells `""` from a close. */
  #quoteAtEnd = false;
  /** The character before the current chunk (a line break at the start of the file). */
  #prev = LF;
  #rows = 0;

  constructor(format: InputFormat) {
    this.#csv = format !== "jsonl";
  }

  /** The next piece of the file: bytes of an ASCII-compatible encoding, or decoded text. */
  feed(chunk: Buffer | string): void {
    const c = typeof chunk === "string" ? textChunk(chunk) : bytesChunk(chunk);
    if (c.length === 0) return;
    let i = 0;
    if (this.#quoteAtEnd) {
      this.#quoteAtEnd = false;
      if (c.at(0) === QUOTE)
        i = 1; // an escaped quote: still inside the cell
      else this.#quoted = false;
    }
    while (i < c.length) {
      if (this.#quoted) {
        const q = c.find(QUOTE, i);
        if (q < 0) break;
        if (q === c.length - 1) {
          this.#quoteAtEnd = true;
          break;
        }
        if (c.at(q + 1) === QUOTE) i = q + 2;
        else {
          this.#quoted = false;
          i = q + 1;
        }
        continue;
      }
      const nl = c.find(LF, i);
      const end = nl < 0 ? c.length : nl;
      if (this.#csv) {
        if (!this.#content) this.#content = notEmpty(c, i, end);
        const open = this.#openingQuote(c, i, end);
        if (open >= 0) {
          this.#quoted = true;
          i = open + 1;
          continue;
        }
      } else if (!this.#content) this.#content = notBlank(c, i, end);
      if (nl < 0) break;
      if (this.#content) this.#rows++;
      this.#content = false;
      i = nl + 1;
    }
    this.#prev = c.at(c.length - 1);
  }

  /** Records counted, once every chunk has been fed. */
  get records(): number {
    const rows = this.#rows + (this.#content ? 1 : 0);
    return this.#csv ? Math.max(0, rows - 1) : rows; // a CSV's first row is its header
  }

  /** The first quote in [from, end) that starts a cell, or -1. */
  #openingQuote(c: Chunk, from: number, end: number): number {
    for (let q = c.find(QUOTE, from); q >= 0 && q < end; q = c.find(QUOTE, q + 1)) {
      const before = q > 0 ? c.at(q - 1) : this.#prev;
      if (before === LF || CELL_STARTS.has(before)) return q;
    }
    return -1;
  }
}

/** A CSV line is empty when it has nothing but the `\r` of a CRLF (csv-parse skips it). */
function notEmpty(c: Chunk, from: number, end: number): boolean {
  for (let i = from; i < end; i++) if (c.at(i) !== CR) return true;
  return false;
}

/** A JSONL line is blank when it is only whitespace (the reader skips it). */
function notBlank(c: Chunk, from: number, end: number): boolean {
  for (let i = from; i < end; i++) if (!BLANK.has(c.at(i))) return true;
  return false;
}

/** Counts the records of an input file (see the module comment); reads it once, in constant memory. */
export async function countRecords(path: string, format: InputFormat, signal?: AbortSignal): Promise<number> {
  const file = await open(path, "r");
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    const counter = new RecordCounter(format);
    let decoder: TextDecoder | undefined;
    let first = true;
    for (;;) {
      signal?.throwIfAborted();
      const { bytesRead } = await file.read(buf, 0, CHUNK, null);
      if (bytesRead === 0) break;
      if (first) {
        first = false;
        const bom = buf[0] === 0xff && buf[1] === 0xfe ? "utf-16le" : buf[0] === 0xfe && buf[1] === 0xff ? "utf-16be" : undefined;
        if (bom) decoder = new TextDecoder(bom);
      }
      const bytes = buf.subarray(0, bytesRead);
      counter.feed(decoder ? decoder.decode(bytes, { stream: true }) : bytes);
    }
    return counter.records;
  } finally {
    await file.close();
  }
}
