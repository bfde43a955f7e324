import { Transform, type TransformCallback } from "node:stream";

const QUOTE = 0x22;
const LF = 0x0a;
const CR = 0x0d;
const BOM = [0xef, 0xbb, 0xbf];
const CLOSING_QUOTE = Buffer.from('"');

export interface CsvQuoteGuardOptions {
  /** One ASCII character. */
  delimiter: string;
  /** csv-parse's `relax_quotes`: a quote that does not close a cell properly is text. */
  relaxQuotes: boolean;
  /** Longest quoted cell passed on; past it the rest of the input is dropped (see `truncated`). */
  maxCellBytes: number;
}

/**
 * Keeps csv-parse in step with the file's lines after a broken quote, between the byte stream
 * (already CRLF → LF) and the parser.
 *
 * Why: after an invalid closing quote (`"ends"x`) csv-parse reports the error but stays inside
 * the quoted cell, so every later row would be read as part of it. This stream follows the same
 * quote rules as csv-parse, and when a row has had an invalid closing quote and is still inside
 * the cell at the end of that physical line, it writes one `"` before the line end: csv-parse
 * then closes the cell and ends the row there. The row is already marked bad (csv-parse skips it
 * and reports it), so the added byte never reaches a record; the next line is read as a new row.
 *
 * A quote that is never closed cannot be told from a long multi-line cell until the input ends,
 * so it still runs to the end of the input (csv-parse reports it there). A quoted cell longer
 * than `maxCellBytes` stops the input at that point instead of holding it all: `truncated` says so.
 *
 * Cheap: only quote bytes are looked at one by one (found with the native `indexOf`), and line
 * ends only inside a row already known to be broken.
 */
export class CsvQuoteGuard extends Transform {
  readonly #delimiter: number;
  readonly #relax: boolean;
  readonly #max: number;
  #quoting = false;
  /** A quote inside a quoted cell ended the previous chunk: the next byte decides what it was. */
  #pendingQuote = false;
  /** The row had an invalid closing quote and the parser is still inside the cell. */
  #broken = false;
  /** The byte before the current chunk; -1 at the start of the input. */
  #prev = -1;
  /** Input bytes before the current chunk. */
  #offset = 0;
  /** Leading bytes that matched the UTF-8 BOM (3: the input starts with one, which csv-parse drops); -1: no BOM. */
  #bom = 0;
  /** Input offset of the open quoted cell's quote. */
  #cellStart = 0;
  #truncated = false;

  constructor(opts: CsvQuoteGuardOptions) {
    super();
    this.#delimiter = opts.delimiter.charCodeAt(0);
    this.#relax = opts.relaxQuotes;
    this.#max = opts.maxCellBytes;
  }

  /** True once a quoted cell passed `maxCellBytes`: the input after it was not passed on. */
  get truncated(): boolean {
    return this.#truncated;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    if (this.#truncated || chunk.length === 0) return callback();
    this.#matchBom(chunk);
    const out: Buffer[] = [];
    let from = 0; // start of the part of the chunk not yet in `out`
    let i = 0;
    if (this.#pendingQuote) {
      this.#pendingQuote = false;
      i = this.#afterQuote(chunk, 0);
    }
    while (i < chunk.length) {
      const q = chunk.indexOf(QUOTE, i);
      if (!this.#quoting) {
        if (q === -1) break;
        if (this.#atCellStart(chunk, q)) {
          this.#quoting = true;
          this.#cellStart = this.#offset + q;
        }
        i = q + 1;
        continue;
      }
      if (this.#broken) {
        const end = lineEnd(chunk, i, q === -1 ? chunk.length : q);
        if (end !== -1) {
          out.push(chunk.subarray(from, end), CLOSING_QUOTE);
          from = end;
          this.#quoting = false;
          this.#broken = false;
          i = end;
          continue;
        }
      }
      if (q === -1) break;
      if (q + 1 === chunk.length) {
        this.#pendingQuote = true;
        break;
      }
      i = this.#afterQuote(chunk, q + 1);
    }
    out.push(chunk.subarray(from));
    this.#prev = chunk[chunk.length - 1]!;
    this.#offset += chunk.length;
    // Past the limit the cell can only be a quote never closed (or a file no one can use):
    // csv-parse would hold all of it, so the input ends here for the parser.
    if (this.#quoting && this.#offset - this.#cellStart > this.#max) this.#truncated = true;
    callback(null, out.length === 1 ? out[0] : Buffer.concat(out));
  }

  override _flush(callback: TransformCallback): void {
    // A broken row on the last line, with no line end after it: closed as at a line end, so the
    // parser does not take it for a quote never closed.
    if (this.#broken && this.#quoting && !this.#truncated) this.push(CLOSING_QUOTE);
    callback();
  }

  /**
   * A quote inside a quoted cell was just before `next`: decides what it was, as csv-parse does,
   * and returns where to go on from.
   */
  #afterQuote(chunk: Buffer, next: number): number {
    const b = chunk[next];
    // `""` stands for one quote inside the cell.
    if (b === QUOTE) return next + 1;
    if (b === this.#delimiter || b === LF || b === CR) {
      this.#quoting = false;
      this.#broken = false;
    } else if (this.#relax) {
      this.#quoting = false; // the quote is kept as text and the cell goes on unquoted
    } else {
      this.#broken = true; // csv-parse: "Invalid Closing Quote", and it stays inside the cell
    }
    return next;
  }

  /** A quote opens a quoted cell only as the cell's first character (as in csv-parse). */
  #atCellStart(chunk: Buffer, q: number): boolean {
    const prev = q > 0 ? chunk[q - 1] : this.#prev;
    if (prev === -1 || prev === this.#delimiter || prev === LF || prev === CR) return true;
    return this.#bom === 3 && this.#offset + q === 3;
  }

  #matchBom(chunk: Buffer): void {
    for (let k = 0; this.#bom >= 0 && this.#bom < 3 && this.#offset + k === this.#bom && k < chunk.length; k++) {
      this.#bom = chunk[k] === BOM[this.#bom] ? this.#bom + 1 : -1;
    }
  }
}

/** The first `\n` or `\r` in `chunk[from, to)`, or -1. */
function lineEnd(chunk: Buffer, from: number, to: number): number {
  const lf = chunk.indexOf(LF, from);
  const cr = chunk.indexOf(CR, from);
  const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
  return end !== -1 && end < to ? end : -1;
}
