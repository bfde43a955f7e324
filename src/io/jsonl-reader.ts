import { UsageError } from "../errors.js";
import type { ReadItem } from "../types.js";
import { describeValue } from "./describe.js";
import { keepExactIds } from "./exact-id.js";
import { DEFAULT_MAX_LINE_BYTES, splitLines, type SplitOptions } from "./line-splitter.js";
import { isPlainObject, recordId, toRecord } from "./record.js";
import { NOT_UTF8 } from "./utf8-lines.js";

export interface JsonlReadOptions extends SplitOptions {
  /** What run-level errors call the input. @default "<jsonl>" */
  name?: string;
}

/**
 * Reads JSON Lines: one object per line, each becoming a record or an invalid item.
 *
 * An async generator, so the consumer's pace is the reader's pace: nothing is read ahead
 * beyond the stream's own buffer, and a 1,000,000-line file streams in constant memory.
 * A bad line never stops the file: it becomes an invalid item (one output line) and the
 * reader moves on. Messages carry no file or line: the engine prefixes `file:line:`.
 */
export async function* readJsonl(source: AsyncIterable<Uint8Array | string>, opts: JsonlReadOptions = {}): AsyncGenerator<ReadItem> {
  // `fatal` turns bad bytes into an error instead of silently replacing them with U+FFFD,
  // which would send a corrupted prompt.
  const decoder = new TextDecoder("utf-8", { fatal: true });
  for await (const raw of splitLines(source, opts)) {
    const { line } = raw;
    if ("tooLong" in raw) {
      const limit = opts.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
      yield invalid(line, `line is ${raw.length} bytes, longer than the limit of ${limit} bytes`);
      continue;
    }
    let bytes = raw.bytes;
    if (line === 1 && hasUtf8Bom(bytes)) bytes = bytes.subarray(3);
    // UTF-16 text is mostly valid UTF-8 byte-wise (ASCII plus NULs), so every line would fail as
    // "invalid JSON": one clear run-level error is more useful than a file of them.
    if (line === 1 && hasUtf16Bom(bytes)) {
      throw new UsageError(`${opts.name ?? "<jsonl>"}: the file is UTF-16 encoded; JSON Lines must be UTF-8 (re-save it as UTF-8)`);
    }
    if (bytes.length === 0) continue;

    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      // The decoder's TypeError says only "The encoded data was not valid for encoding utf-8".
      yield invalid(line, NOT_UTF8);
      continue;
    }
    // Blank lines (also whitespace-only) are skipped but still counted, so later line numbers match an editor's.
    if (text.trim() === "") continue;

    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield invalid(line, `invalid JSON: ${err instanceof Error ? err.message : String(err)}`);
      continue;
    }
    if (!isPlainObject(value)) {
      yield invalid(line, `expected a JSON object, got ${describeValue(value)}`);
      continue;
    }
    keepExactIds(value, text);
    const record = toRecord(value, line);
    if (typeof record === "string") yield invalid(line, record, recordId(value, line));
    else yield { kind: "record", record };
  }
}

/** `id` "" is "none readable": the id registry (dedupe.ts) makes it `#line-<n>`. */
function invalid(line: number, message: string, id = ""): ReadItem {
  return { kind: "invalid", invalid: { id, line, message } };
}

function hasUtf16Bom(bytes: Buffer): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

function hasUtf8Bom(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
