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
import { isAscii } from "node:buffer";
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
const CP1252_C1 = "\u20ac\u0081\u201a\u0192\u201e\u2026\u2020\u2021\u02c6\u2030\u0160\u2039\u0152\u008d\u017d\u008f\u0090\u2018\u2019\u201c\u201d\u2022\u2013\u2014\u02dc\u2122\u0161\u203a\u0153\u009d\u017e\u0178";
const C1 = /[\u0080-\u009f]/g;
const fromC1 = (c: string): string => CP1252_C1[c.charCodeAt(0) - 0x80]!;

/**
 * The input as UTF-8 bytes. Chunk boundaries may split a UTF-16 character or pair anywhere; the
 * decoder carries the piece over. A lone UTF-16 surrogate (a damaged file) becomes the byte 0xFF,
 * which is not UTF-8, so the reader reports that line instead of sending U+FFFD in its place.
 */
export async function* toUtf8(source: AsyncIterable<Uint8Array | string>, encoding: InputEncoding): AsyncGenerator<Buffer> {
  if (encoding === "utf-8") {
    for await (const chunk of source) yield toBuffer(chunk);
    return;
  }
  if (encoding === "windows-1252") {
    for await (const chunk of source) {
      const bytes = toBuffer(chunk);
      // Most lines of most files are ASCII, the same bytes in UTF-8.
      yield isAscii(bytes) ? bytes : Buffer.from(bytes.toString("latin1").replace(C1, fromC1), "utf8");
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
  if (held.length > 0) yield NOT_UTF8_BYTE;
}

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
const NOT_UTF8_BYTE = Buffer.from([0xff]);

function utf8Marking(text: string): Buffer {
  if (text.isWellFormed()) return Buffer.from(text, "utf8");
  const parts: Buffer[] = [];
  for (const piece of text.split(new RegExp(LONE_SURROGATE, "g"))) parts.push(Buffer.from(piece, "utf8"), NOT_UTF8_BYTE);
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

/** What a line whose bytes are not UTF-8 is told, with the likely fix. Starts with "not valid UTF-8". */
export function notUtf8Message(bytes: Uint8Array | undefined): string {
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
