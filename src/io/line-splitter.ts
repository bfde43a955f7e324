/**
 * Splits a byte stream into lines, pulled one line at a time.
 *
 * A line ends at `\n`, at `\r\n`, or at a lone `\r` (old Mac files and some exports), so lines
 * are numbered as an editor numbers them. JSON text never holds a raw `\r` inside a string, so a
 * lone `\r` can only be whitespace between tokens or a line end.
 *
 * Works on bytes, not text, so a line is decoded only once it is whole: a multi-byte UTF-8
 * character split across two chunks stays intact, and one bad line cannot corrupt the next.
 * Memory is one chunk plus the current line; a line spread over many chunks is kept as a list
 * of pieces and joined once (no quadratic re-concatenation for a 10 MB line).
 */

/** One line without its terminator. `line` is 1-based and counts every line, blank ones too. */
export type RawLine =
  | { line: number; bytes: Buffer }
  /** The line passed `maxLineBytes`; its bytes were dropped rather than held. */
  | { line: number; tooLong: true; length: number };

export interface SplitOptions {
  /**
   * Longest line kept in memory. Beyond it the line is reported as too long and skipped, so a
   * file with no newlines at all cannot exhaust memory.
   * @default 64 MiB
   */
  maxLineBytes?: number;
}

export const DEFAULT_MAX_LINE_BYTES = 64 * 1024 * 1024;

const LF = 0x0a;
const CR = 0x0d;

export async function* splitLines(source: AsyncIterable<Uint8Array | string>, opts: SplitOptions = {}): AsyncGenerator<RawLine> {
  const max = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  let pieces: Buffer[] = []; // earlier parts of the current line
  let held = 0; // bytes of the current line seen so far (counted even when dropped)
  let line = 0;
  // The previous chunk ended in `\r`: a `\n` opening this one is the rest of that line end.
  let afterCr = false;

  const finish = (tail: Buffer): RawLine => {
    line++;
    const length = held + tail.length;
    let out: RawLine;
    if (length > max) out = { line, tooLong: true, length };
    else out = { line, bytes: pieces.length === 0 ? tail : Buffer.concat([...pieces, tail], length) };
    pieces = [];
    held = 0;
    return out;
  };

  for await (const raw of source) {
    const chunk = toBuffer(raw);
    if (chunk.length === 0) continue;
    let start = afterCr && chunk[0] === LF ? 1 : 0;
    afterCr = false;
    // Most files have no `\r` at all: then only `\n` is searched for.
    let cr = chunk.indexOf(CR, start);
    let lf = chunk.indexOf(LF, start);
    while (lf !== -1 || cr !== -1) {
      if (cr === -1 || (lf !== -1 && lf < cr)) {
        yield finish(chunk.subarray(start, lf));
        start = lf + 1;
        lf = chunk.indexOf(LF, start);
        continue;
      }
      yield finish(chunk.subarray(start, cr));
      start = cr + 1;
      if (start === chunk.length) afterCr = true;
      else if (chunk[start] === LF) start++;
      cr = chunk.indexOf(CR, start);
      if (lf !== -1 && lf < start) lf = chunk.indexOf(LF, start);
    }
    if (start < chunk.length) {
      const rest = chunk.subarray(start);
      held += rest.length;
      // Past the limit, stop holding bytes but keep counting them for the message.
      if (held > max) pieces = [];
      else pieces.push(rest);
    }
  }
  // A last line without a final line end is still a line; an empty remainder is not.
  if (held > 0) yield finish(Buffer.alloc(0));
}

function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
