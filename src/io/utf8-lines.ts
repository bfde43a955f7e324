import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";

/** What a record with bytes that are not UTF-8 is told, in JSONL and CSV alike. */
export const NOT_UTF8 = "not valid UTF-8 (save the file as UTF-8; Latin-1 and UTF-16 are not read)";

/**
 * Passes a byte stream through unchanged and notes the lines (1-based, counted by `\n`) whose
 * bytes are not valid UTF-8.
 *
 * Why: csv-parse decodes with replacement, so a Latin-1 "é" would reach the prompt as U+FFFD
 * and be sent, paid for, and answered wrongly. The check runs on bytes, before the parser, so
 * by the time the parser hands over a row, every line of it has been checked. A `\n` byte never
 * occurs inside a multi-byte UTF-8 character, so checking line by line is exact.
 */
export class Utf8LineCheck extends Transform {
  readonly #bad = new Set<number>();
  /** Parts of the current line from earlier chunks. */
  #pieces: Buffer[] = [];
  #line = 1;

  /** True when any line from `first` to `last` (inclusive) had bytes that are not UTF-8. */
  anyBad(first: number, last: number): boolean {
    // A row spans a few lines; the set may hold every line of a Latin-1 file.
    if (this.#bad.size === 0) return false;
    for (let line = first; line <= last; line++) if (this.#bad.has(line)) return true;
    return false;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let start = 0;
    for (let nl = chunk.indexOf(0x0a); nl !== -1; nl = chunk.indexOf(0x0a, start)) {
      this.#endLine(chunk.subarray(start, nl));
      start = nl + 1;
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
    if (!isUtf8(bytes)) this.#bad.add(this.#line);
    this.#line++;
  }
}
