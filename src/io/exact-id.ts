/**
 * Numbers kept as the text the user wrote: integers too large for a double, in every field, and
 * numeric ids.
 *
 * `JSON.parse` turns `570306133677760513` into 570306133677760500 (a double holds 15–17
 * significant digits), so two tweet ids or database bigints that differ in the last digits would
 * become one value: in templates, in `--include-input`, and in the content id. Node 20's
 * `JSON.parse` gives revivers no source text, so the line's text is read again by small scanners:
 * - `keepExactIntegers`: an integer beyond 2^53 − 1 anywhere in the line becomes the string of its
 *   digits. Only a line with a run of 16 or more digits can hold one; finding such a run looks at
 *   every 16th byte, so other lines pay about 1 ns per 16 bytes.
 * - `keepExactIds`: the id (which is text in the output) keeps its spelling, `1.0` and `1e3`
 *   included. That happens only when the number could differ from its text: a string id costs
 *   nothing, and a small integer costs two `indexOf`s when its key is written once and plainly.
 */

/**
 * `parsed` (what `JSON.parse(text)` returned) with every integer that a double cannot hold exactly
 * (written without fraction or exponent, magnitude above 2^53 − 1) as the string of its digits, as
 * the file wrote it; `parsed` itself when the line has none (almost always). `bytes` is the line's
 * UTF-8, where the cheap check runs (a typed array reads faster than a string's `charCodeAt`).
 */
export function keepExactIntegers<T>(parsed: T, text: string, bytes: Uint8Array): T {
  if (!hasLongDigitRun(bytes)) return parsed;
  const quoted = quoteUnsafeIntegers(text);
  return quoted === undefined ? parsed : (JSON.parse(quoted) as T);
}

/** Digits an integer needs to pass 2^53 − 1 (9007199254740991 has 16). */
const UNSAFE_DIGITS = 16;

/**
 * True when `bytes` hold a run of at least 16 ASCII digits. Any 16 consecutive positions hold
 * exactly one whose index is 15 modulo 16, so only those are looked at, and the run around a
 * digit found there is measured.
 */
export function hasLongDigitRun(bytes: Uint8Array): boolean {
  const n = bytes.length;
  for (let i = UNSAFE_DIGITS - 1; i < n; i += UNSAFE_DIGITS) {
    if (!isDigit(bytes[i]!)) continue;
    let start = i;
    while (start > 0 && isDigit(bytes[start - 1]!)) start--;
    let end = i + 1;
    while (end < n && isDigit(bytes[end]!)) end++;
    if (end - start >= UNSAFE_DIGITS) return true;
  }
  return false;
}

/**
 * `text` (valid JSON) with each integer token beyond 2^53 − 1 in quotes, or undefined when there is
 * none (a long run of digits inside a string, or in a fraction, changes nothing).
 */
function quoteUnsafeIntegers(text: string): string | undefined {
  let out = "";
  let from = 0; // start of the text not yet copied to `out`
  let i = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = stringEnd(text, i);
      continue;
    }
    if (c !== MINUS && !isDigit(c)) {
      i++;
      continue;
    }
    // Outside strings, a digit or minus can only start a number (keywords hold no digits).
    const end = valueEnd(text, i);
    if (isUnsafeInteger(text, i, end)) {
      out += `${text.slice(from, i)}"${text.slice(i, end)}"`;
      from = end;
    }
    i = end;
  }
  return from === 0 ? undefined : out + text.slice(from);
}

function isUnsafeInteger(text: string, start: number, end: number): boolean {
  const digits = text.charCodeAt(start) === MINUS ? start + 1 : start;
  if (end - digits < UNSAFE_DIGITS) return false;
  for (let i = digits; i < end; i++) if (!isDigit(text.charCodeAt(i))) return false;
  return !Number.isSafeInteger(Number(text.slice(start, end)));
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/**
 * Replaces `obj.id` (and a Batch line's `custom_id`) by the text of its number in `text` when
 * `String(number)` is not that text: `570306133677760513`, `1.0`, `1e3`, `-0` stay as written.
 * `obj` must be what `JSON.parse(text)` returned.
 */
export function keepExactIds(obj: Record<string, unknown>, text: string): void {
  if (typeof obj.id === "number") keepExact(obj, "id", obj.id, text);
  if (typeof obj.custom_id === "number" && "body" in obj) keepExact(obj, "custom_id", obj.custom_id, text);
}

function keepExact(obj: Record<string, unknown>, key: "id" | "custom_id", n: number, text: string): void {
  const plain = String(n);
  if (Number.isSafeInteger(n) && isWrittenAs(text, key, plain)) return;
  const raw = numberText(text, key);
  if (raw !== undefined && raw !== plain) obj[key] = raw;
}

const QUOTED = { id: '"id"', custom_id: '"custom_id"' } as const;

/**
 * True when the line's only `"key"` is followed by `: <plain>` and the number ends there. Sound
 * without a scan: the top-level key exists, and without `\u` escapes it can only be spelled
 * `"key"`, so a single occurrence is that key (a second one, nested or inside a string, sends
 * the line to the scanner).
 */
function isWrittenAs(text: string, key: "id" | "custom_id", plain: string): boolean {
  const quoted = QUOTED[key];
  const at = text.indexOf(quoted);
  if (at === -1 || text.indexOf(quoted, at + quoted.length) !== -1 || text.includes("\\u")) return false;
  let i = skipSpace(text, at + quoted.length);
  if (text.charCodeAt(i) !== COLON) return false;
  i = skipSpace(text, i + 1);
  if (!text.startsWith(plain, i)) return false;
  const next = text.charCodeAt(i + plain.length);
  return next === COMMA || next === CLOSE_BRACE || isSpace(next);
}

const QUOTE = 0x22;
const MINUS = 0x2d;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

/**
 * The text of the number that is the top-level `key`'s value in `text` (valid JSON, an object),
 * the last one when the key repeats (as `JSON.parse` keeps the last); undefined if none is a number.
 */
export function numberText(text: string, key: string): string | undefined {
  let found: string | undefined;
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(text, i + 1);
  while (text.charCodeAt(i) === QUOTE) {
    const keyEnd = stringEnd(text, i);
    const raw = text.slice(i + 1, keyEnd - 1);
    const name = raw.includes("\\") ? (JSON.parse(text.slice(i, keyEnd)) as string) : raw;
    i = skipSpace(text, keyEnd);
    i = skipSpace(text, i + 1); // the colon
    const end = valueEnd(text, i);
    if (name === key) {
      const c = text.charCodeAt(i);
      found = c === MINUS || isDigit(c) ? text.slice(i, end) : undefined;
    }
    i = skipSpace(text, end);
    if (text.charCodeAt(i) !== COMMA) break;
    i = skipSpace(text, i + 1);
  }
  return found;
}

/** The index just past the closing quote of the string that opens at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  for (;;) {
    const q = text.indexOf('"', i);
    if (q === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(q - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q + 1;
    i = q + 1;
  }
}

/** The index just past the value that starts at `start`. */
function valueEnd(text: string, start: number): number {
  const c = text.charCodeAt(start);
  if (c === QUOTE) return stringEnd(text, start);
  if (c === OPEN_BRACE || c === OPEN_BRACKET) {
    let depth = 0;
    let i = start;
    while (i < text.length) {
      const d = text.charCodeAt(i);
      if (d === QUOTE) {
        i = stringEnd(text, i);
        continue;
      }
      if (d === OPEN_BRACE || d === OPEN_BRACKET) depth++;
      else if ((d === CLOSE_BRACE || d === CLOSE_BRACKET) && --depth === 0) return i + 1;
      i++;
    }
    return text.length;
  }
  let i = start;
  while (i < text.length) {
    const d = text.charCodeAt(i);
    if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || isSpace(d)) break;
    i++;
  }
  return i;
}

function skipSpace(text: string, from: number): number {
  let i = from;
  while (isSpace(text.charCodeAt(i))) i++;
  return i;
}

/** JSON's whitespace: space, tab, LF, CR. */
function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}
