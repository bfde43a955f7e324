/**
 * Input text encodings other than UTF-8: their names, byte order marks, and a streaming
 * conversion to UTF-8 bytes, so the readers (which check and parse UTF-8) read every encoding the
 * same way. Spreadsheets on Windows save CSV as Windows-1252 ("ANSI") or UTF-16LE ("Unicode text").
 *
 * No `TextDecoder` and no ICU data: Windows-1252 is Latin-1 (which Node decodes natively) with 27
 * other characters in 0x80–0x9F, and UTF-16LE is decoded natively too. Loading ICU's converters
 * pages in megabytes of data a run does not otherwise need (and a Node built without full ICU
 * decodes "windows-1252" as Latin-1, dropping the curly quotes).
 */
import { isAscii, isUtf8 } from "node:buffer";
import { UsageError } from "../errors.js";

/** What `--encoding` and a pipeline's `input.encoding` resolve to. */
export type InputEncoding = "utf-8" | "windows-1252" | "utf-16le" | "utf-16be";

/**
 * Accepted names. `latin1` and `iso-8859-1` are read as Windows-1252, as the WHATWG Encoding
 * Standard (and so every browser) does: in real files the bytes 0x80–0x9F are curly quotes, dashes
 * and the euro sign, never the C1 control characters ISO-8859-1 strictly puts there. `utf-16`
 * without a byte order mark is little-endian, as Windows writes it.
 */
const NAMES: Readonly<Record<string, InputEncoding>> = {
  "utf-8": "utf-8",
  utf8: "utf-8",
  "windows-1252": "windows-1252",
  cp1252: "windows-1252",
  latin1: "windows-1252",
  "latin-1": "windows-1252",
  "iso-8859-1": "windows-1252",
  "utf-16": "utf-16le",
  utf16: "utf-16le",
  "utf-16le": "utf-16le",
  utf16le: "utf-16le",
  "utf-16be": "utf-16be",
  utf16be: "utf-16be",
};

/** The names as the help and messages list them. */
export const ENCODING_NAMES = "utf-8, windows-1252 (cp1252), latin1 (iso-8859-1), utf-16, utf-16le, utf-16be";

/** `--encoding windows-1252` → "windows-1252"; `UsageError` for a name not supported. */
export function parseEncoding(flag: string, raw: string): InputEncoding {
  const encoding = NAMES[raw.trim().toLowerCase()];
  if (encoding === undefined) throw new UsageError(`${flag} must be one of ${ENCODING_NAMES}, got ${JSON.stringify(raw)}`);
  return encoding;
}

/** True for a name `parseEncoding` accepts (for the pipeline loader, which reports with a position). */
export function isEncodingName(raw: string): boolean {
  return NAMES[raw.trim().toLowerCase()] !== undefined;
}

/** The encoding a byte order mark at the start of `head` declares. */
export function bomEncoding(head: Buffer): InputEncoding | undefined {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return "utf-8";
  if (head[0] === 0xff && head[1] === 0xfe) return "utf-16le";
  if (head[0] === 0xfe && head[1] === 0xff) return "utf-16be";
  return undefined;
}

/**
 * For a UTF-8 read: "utf-16le"/"utf-16be" when `head` (the first bytes, no byte order mark) is
 * ASCII text in UTF-16, which is valid UTF-8 byte for byte (ASCII and NULs) and would be read as
 * text full of NUL characters. UTF-8 text has no NUL bytes at all.
 */
export function utf16WithoutBom(head: Buffer): InputEncoding | undefined {
  const n = Math.min(head.length, 512) & ~1;
  if (n < 4) return undefined;
  let evenZeros = 0;
  let oddZeros = 0;
  for (let i = 0; i < n; i += 2) {
    if (head[i] === 0) evenZeros++;
    if (head[i + 1] === 0) oddZeros++;
  }
  // Mostly ASCII: half the pairs or more have their high byte 0; a few characters outside Latin-1
  // (a code unit such as U+2000 or a surrogate of an emoji) put a 0 in the low byte.
  const pairs = n / 2;
  if (oddZeros >= pairs / 2 && evenZeros * 8 <= oddZeros) return "utf-16le";
  if (evenZeros >= pairs / 2 && oddZeros * 8 <= evenZeros) return "utf-16be";
  return undefined;
}

/** Windows-1252's characters for 0x80–0x9F (the rest of the byte range is Latin-1); undefined bytes stay C1 controls, as WHATWG maps them. */
const CP1252_C1 =
  "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";
const C1 = /[\u0080-\u009f]/g;
const fromC1 = (c: string): string => CP1252_C1[c.charCodeAt(0) - 0x80]!;

/**
 * Told, once, where Windows-1252 decoding met bytes that are a UTF-8 character (`c3 a9`, "é" in
 * UTF-8, "Ã©" in Windows-1252): a UTF-8 file read with the wrong `--encoding`, whose text would be
 * sent garbled. `line` is 1-based, as an editor counts lines.
 */
export type Utf8InWindows1252 = (line: number, bytes: Buffer) => void;

/**
 * The input as UTF-8 bytes. Chunk boundaries may split a UTF-16 character or pair anywhere; the
 * decoder carries the piece over. A lone UTF-16 surrogate (a damaged file) becomes the byte 0xFF,
 * and an odd byte at the very end 0xFE, neither of which is UTF-8, so the reader reports that line
 * (see `notUtf8Message`) instead of sending U+FFFD in its place.
 */
export async function* toUtf8(source: AsyncIterable<Uint8Array | string>, encoding: InputEncoding, onUtf8?: Utf8InWindows1252): AsyncGenerator<Buffer> {
  if (encoding === "utf-8") {
    for await (const chunk of source) yield toBuffer(chunk);
    return;
  }
  if (encoding === "windows-1252") {
    const lines = onUtf8 && new LineCounter();
    // The last bytes of the previous chunk, for a character the chunk boundary cuts.
    let tail = Buffer.alloc(0);
    for await (const chunk of source) {
      const bytes = toBuffer(chunk);
      // Most lines of most files are ASCII, the same bytes in UTF-8.
      const ascii = isAscii(bytes);
      if (lines?.counting) {
        const across = tail.length > 0 && !ascii ? utf8CharacterIn(Buffer.concat([tail, bytes.subarray(0, 3)]), tail.length) : undefined;
        const found = across ?? (ascii ? undefined : utf8CharacterIn(bytes));
        if (found === undefined) {
          lines.add(bytes, bytes.length);
          tail = Buffer.from((bytes.length >= 3 ? bytes : Buffer.concat([tail, bytes])).subarray(-3));
        } else {
          const line = across ? lines.add(bytes, 0) + 1 : lines.add(bytes, found.at) + 1;
          onUtf8!(line, found.bytes);
          lines.counting = false; // once: one is enough to tell
        }
      }
      yield ascii ? bytes : Buffer.from(bytes.toString("latin1").replace(C1, fromC1), "utf8");
    }
    return;
  }
  // Held back for the next chunk: an odd byte, or a high surrogate whose low half is still to come.
  // (Node's StringDecoder emits a high surrogate alone when a chunk also ends on an odd byte.)
  let held = Buffer.alloc(0);
  for await (const chunk of source) {
    const bytes = held.length === 0 ? Buffer.from(toBuffer(chunk)) : Buffer.concat([held, toBuffer(chunk)]);
    let end = bytes.length & ~1;
    if (encoding === "utf-16be") bytes.subarray(0, end).swap16();
    if (end >= 2 && (bytes[end - 1]! & 0xfc) === 0xd8) end -= 2;
    held = Buffer.from(bytes.subarray(end));
    // Byte-swapped in place above: a held pair must go back to big-endian, as the next chunk is.
    if (encoding === "utf-16be" && held.length >= 2) held.subarray(0, 2).swap16();
    if (end > 0) yield utf8Marking(bytes.toString("utf16le", 0, end));
  }
  // A high surrogate or an odd byte at the very end: a damaged file, marked as such.
  if (held.length > 0) yield held.length % 2 === 1 ? ODD_BYTE_MARK : LONE_SURROGATE_MARK;
}

const LF = 0x0a;
const CR = 0x0d;

/** Counts line ends (LF, CRLF, a lone CR) across chunks, for a line number. */
class LineCounter {
  counting = true;
  /** Line ends before the current chunk. */
  #ends = 0;
  #afterCr = false;

  /** Adds the line ends of `bytes[0, to)` and returns how many there are so far. */
  add(bytes: Buffer, to: number): number {
    const from = this.#afterCr && bytes[0] === LF ? 1 : 0;
    for (let i = bytes.indexOf(LF, from); i !== -1 && i < to; i = bytes.indexOf(LF, i + 1)) this.#ends++;
    // A CR followed by LF ended its line with that LF, counted above.
    for (let i = bytes.indexOf(CR, from); i !== -1 && i < to; i = bytes.indexOf(CR, i + 1)) if (bytes[i + 1] !== LF) this.#ends++;
    if (to === bytes.length) this.#afterCr = bytes[to - 1] === CR;
    return this.#ends;
  }
}

/**
 * The first multi-byte UTF-8 character in `bytes` starting before `before`, or undefined. A C1
 * control (`c2 80`–`c2 9f`) does not count: UTF-8 text has none, while Windows-1252 text may well
 * have "Â" before a "€".
 */
function utf8CharacterIn(bytes: Buffer, before = bytes.length): { at: number; bytes: Buffer } | undefined {
  for (let i = 0; i < before; i++) {
    const b = bytes[i]!;
    if (b < 0xc2 || b > 0xf4) continue;
    const length = b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    if (b === 0xc2 && bytes[i + 1]! < 0xa0) continue;
    if (i + length <= bytes.length && isUtf8(bytes.subarray(i, i + length))) return { at: i, bytes: Buffer.from(bytes.subarray(i, i + length)) };
  }
  return undefined;
}

/** What `onUtf8` is told, as a warning: `where` is `file:line`. */
export function utf8InWindows1252Message(where: string, bytes: Buffer): string {
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join(" ");
  const asUtf8 = bytes.toString("utf8");
  const as1252 = bytes.toString("latin1").replace(C1, fromC1);
  return `${where}: read as Windows-1252, but its bytes ${hex} are the UTF-8 for "${asUtf8}", which Windows-1252 reads as "${as1252}": if the file is UTF-8, read it as UTF-8 (drop --encoding windows-1252, or the pipeline's input.encoding), or its text is sent garbled`;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
// Neither byte occurs in UTF-8 at all.
const LONE_SURROGATE_MARK = Buffer.from([0xff]);
/** The byte `toUtf8` puts in place of an odd byte ending a UTF-16 input. */
export const ODD_END_MARK = 0xfe;
const ODD_BYTE_MARK = Buffer.from([ODD_END_MARK]);

function utf8Marking(text: string): Buffer {
  if (text.isWellFormed()) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (const piece of text.split(new RegExp(LONE_SURROGATE, "g"))) parts.push(Buffer.from(piece, "utf8"), LONE_SURROGATE_MARK);
  parts.pop();
  return Buffer.concat(parts);
}

/**
 * Whether bytes that are not UTF-8 read as Windows-1252 text: each byte above 0x7F is a character
 * Windows-1252 defines, and they stand alone or in pairs between ASCII, as accents and curly quotes
 * do in Western text. Double-byte encodings (Shift-JIS, GBK) and Cyrillic or Greek code pages put
 * whole words above 0x7F.
 */
export function looksLikeWindows1252(bytes: Uint8Array): boolean {
  let run = 0;
  let high = 0;
  for (const b of bytes) {
    if (b < 0x80) {
      run = 0;
      continue;
    }
    if (b === 0x81 || b === 0x8d || b === 0x8f || b === 0x90 || b === 0x9d) return false;
    high++;
    if (++run > 2) return false;
  }
  return high > 0;
}

/**
 * What a line whose bytes are not UTF-8 is told, with the likely fix. `from` is the encoding the
 * input was converted from: after UTF-16, the only bytes that are not UTF-8 are `toUtf8`'s marks of
 * a damaged file, and `line` says where.
 */
export function notUtf8Message(bytes: Uint8Array | undefined, from: InputEncoding = "utf-8", line?: number): string {
  const at = line === undefined ? "" : ` at line ${line}`;
  if (from === "utf-16le" || from === "utf-16be") {
    if (bytes?.includes(ODD_END_MARK)) return `not valid UTF-16: the file ends${at} with an odd byte (UTF-16 text is pairs of bytes; the file is cut short)`;
    return `not valid UTF-16: a lone UTF-16 surrogate${at} (half of a character such as an emoji, the other half missing; the file is damaged there): fix or remove that character`;
  }
  if (bytes !== undefined && looksLikeWindows1252(bytes)) {
    return "not valid UTF-8: the bytes look like Windows-1252 (Latin-1), as Excel and older Windows programs save text; run with --encoding windows-1252, or save the file as UTF-8";
  }
  return `not valid UTF-8: save the file as UTF-8, or name its encoding with --encoding (${ENCODING_NAMES})`;
}

/** A chunk of a byte stream as a Buffer, without a copy when it is one. */
export function toBuffer(chunk: Uint8Array | string): Buffer {
  if (typeof chunk === "string") return Buffer.from(chunk, "utf8");
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}
