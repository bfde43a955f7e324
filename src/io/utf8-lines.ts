import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";
import { notUtf8Message, ODD_END_MARK, type InputEncoding } from "./text-encoding.js";

/**
 * Passes a byte stream through unchanged and notes the lines (1-based) whose bytes are not valid
 * UTF-8. It runs after `CrlfToLf`, so every `\n` and every `\r` left ends a line, as csv-parse
 * and an editor count them.
 *
 * Why: csv-parse decodes with replacement, so a Latin-1 "é" would reach the prompt as U+FFFD
 * and be sent, paid for, and answered wrongly. The check runs on bytes, before the parser, so
 * by the time the parser hands over a row, every line of it has been checked. A `\n` or `\r`
 * byte never occurs inside a multi-byte UTF-8 character, so checking line by line is exact.
 *
 * Memory: rows are asked about in file order (`firstBad`), so a bad line before the row asked
 * about is forgotten. What is held is the bad lines read ahead of the parser (its buffers' worth),
 * not every bad line of a Windows-1252 file read as UTF-8.
 */
export class Utf8LineCheck extends Transform {
  readonly #from: InputEncoding;
  /** Bad lines not yet passed, in increasing order: `#bad[#head]` on. */
  #bad: number[] = [];
  #head = 0;
  #message: string | undefined;
  /** Parts of the current line from earlier chunks. */
  #pieces: Buffer[] = [];
  #line = 1;
  /** The line holding `toUtf8`'s mark of an odd byte ending a UTF-16 file, if any. */
  #oddEnd = 0;

  /** `from`: the encoding the input was converted to UTF-8 from (it decides the message). */
  constructor(from: InputEncoding = "utf-8") {
    super();
    this.#from = from;
  }

  /**
   * The first line from `first` to `last` (inclusive) whose bytes are not UTF-8, or 0. Calls must
   * come in file order (`first` never smaller than before): bad lines before `first` are dropped.
   */
  firstBad(first: number, last: number): number {
    const bad = this.#bad;
    while (this.#head < bad.length && bad[this.#head]! < first) this.#head++;
    const found = this.#head < bad.length && bad[this.#head]! <= last ? bad[this.#head]! : 0;
    if (this.#head === bad.length) {
      bad.length = 0;
      this.#head = 0;
    } else if (this.#head >= 1024 && this.#head * 2 >= bad.length) {
      this.#bad = bad.slice(this.#head);
      this.#head = 0;
    }
    return found;
  }

  /** Bad lines held (read, not yet passed by `firstBad`). */
  get held(): number {
    return this.#bad.length - this.#head;
  }

  /**
   * What a row whose bad line is `line` is told: a damaged UTF-16 file says where; otherwise the
   * first bad line's bytes say whether the file looks like Windows-1252.
   */
  messageAt(line: number): string {
    if (this.#from === "utf-16le" || this.#from === "utf-16be") return notUtf8Message(line === this.#oddEnd ? ODD_END : undefined, this.#from, line);
    return this.#message ?? notUtf8Message(undefined);
  }

  /** Lines seen so far; once the input has ended, how many lines it had. */
  get lines(): number {
    return this.#line - 1 + (this.#pieces.length > 0 ? 1 : 0);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    let lf = chunk.indexOf(0x0a);
    // Most files have no `\r` left: then only `\n` is searched for.
    let cr = chunk.indexOf(0x0d);
    while (lf !== -1 || cr !== -1) {
      const end = cr === -1 || (lf !== -1 && lf < cr) ? lf : cr;
      this.#endLine(chunk.subarray(start, end));
      start = end + 1;
      if (end === lf) lf = chunk.indexOf(0x0a, start);
      else cr = chunk.indexOf(0x0d, start);
    }
    if (start < chunk.length) this.#pieces.push(chunk.subarray(start));
    callback(null, chunk);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#pieces.length > 0) this.#endLine(Buffer.alloc(0));
    callback();
  }

  #endLine(tail: Buffer): void {
    const bytes = this.#pieces.length === 0 ? tail : Buffer.concat([...this.#pieces, tail]);
    this.#pieces = [];
    if (!isUtf8(bytes)) {
      this.#bad.push(this.#line);
      this.#message ??= notUtf8Message(bytes);
      if (bytes.includes(ODD_END_MARK)) this.#oddEnd = this.#line;
    }
    this.#line++;
  }
}

const ODD_END = Buffer.from([ODD_END_MARK]);
