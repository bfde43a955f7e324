import { isUtf8 } from "node:buffer";
import { Transform, type TransformCallback } from "node:stream";
import { notUtf8Message } from "./text-encoding.js";

/** What a record with bytes that are not UTF-8 is told when nothing more is known of its bytes. */
export const NOT_UTF8 = notUtf8Message(undefined);

/**
 * Passes a byte stream through unchanged and notes the lines (1-based) whose bytes are not valid
 * UTF-8. It runs after `CrlfToLf`, so every `\n` and every `\r` left ends a line, as csv-parse
 * and an editor count them.
 *
 * Why: csv-parse decodes with replacement, so a Latin-1 "é" would reach the prompt as U+FFFD
 * and be sent, paid for, and answered wrongly. The check runs on bytes, before the parser, so
 * by the time the parser hands over a row, every line of it has been checked. A `\n` or `\r`
 * byte never occurs inside a multi-byte UTF-8 character, so checking line by line is exact.
 */
export class Utf8LineCheck extends Transform {
  readonly #bad = new Set<number>();
  #message: string | undefined;
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

  /** What a bad line is told: the first bad line's bytes say whether they look like Windows-1252. */
  get message(): string {
    return this.#message ?? NOT_UTF8;
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
      this.#bad.add(this.#line);
      this.#message ??= notUtf8Message(bytes);
    }
    this.#line++;
  }
}
