/**
 * Numeric ids kept as the text the user wrote.
 *
 * `JSON.parse` turns `{"id": 570306133677760513}` into 570306133677760500 (a double holds 15–17
 * significant digits), so two tweet ids or database bigints that differ in the last digits would
 * become one id. Node 20's `JSON.parse` gives revivers no source text, so the text of the number is
 * read back from the line by a small scanner of the top-level object. That happens only when the
 * number could differ from its text: a string id costs nothing, and a small integer costs two
 * `indexOf`s when its key is written once and plainly.
 */

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
      found = c === 0x2d || (c >= 0x30 && c <= 0x39) ? text.slice(i, end) : undefined;
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
