import { UsageError } from "../errors.js";
import type { ReadItem } from "../types.js";
import { describeValue } from "./describe.js";
import { keepExactIds, keepExactIntegers } from "./exact-id.js";
import { DEFAULT_MAX_LINE_BYTES, splitLines, type SplitOptions } from "./line-splitter.js";
import { jsonNestsDeeperThan, tooDeepMessage } from "./nesting-depth.js";
import { isPlainObject, recordId, toRecord } from "./record.js";
import { notUtf8Message, type InputEncoding } from "./text-encoding.js";
import { loneSurrogateMessage, loneSurrogatePath } from "./well-formed.js";

export interface JsonlReadOptions extends SplitOptions {
  /** What run-level errors call the input. @default "<jsonl>" */
  name?: string;
  /** The encoding the input was converted to UTF-8 from (`toUtf8`): it decides what a bad line is told. @default "utf-8" */
  decodedFrom?: InputEncoding;
}

/**
 * Reads JSON Lines: one object per line, each becoming a record or an invalid item.
 *
 * An async generator, so the consumer's pace is the reader's pace: nothing is read ahead
 * beyond the stream's own buffer, and a 1,000,000-line file streams in constant memory.
 * A bad line never stops the file: it becomes an invalid item (one output line) and the
 * reader moves on. Messages carry no file or line: the engine prefixes `file:line:`.
 *
 * Only empty and ASCII-blank lines (spaces, tabs) are skipped. Any other line is a record, so a
 * line of U+00A0 or a stray BOM is an `invalid_input` rather than a record that vanishes. A
 * record nested deeper than `MAX_NESTING_DEPTH`, or holding a lone surrogate, is refused here,
 * so no later stage meets it (see nesting-depth.ts and well-formed.ts).
 */
export async function* readJsonl(source: AsyncIterable<Uint8Array | string>, opts: JsonlReadOptions = {}): AsyncGenerator<ReadItem> {
  // `fatal` turns bad bytes into an error instead of silently replacing them with U+FFFD,
  // which would send a corrupted prompt. `ignoreBOM` keeps a BOM in the text (the decoder would
  // drop it from every line), so a line holding nothing else is seen and reported.
  const decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
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
    // Blank lines are skipped but still counted, so later line numbers match an editor's.
    if (bytes.length === 0 || isAsciiBlank(bytes)) continue;

    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      // The decoder's TypeError says only "The encoded data was not valid for encoding utf-8".
      yield invalid(line, notUtf8Message(bytes, opts.decodedFrom, line));
      continue;
    }

    let value: unknown;
    // A BOM opening a later line (files joined with `cat`) marks the encoding, as on line 1.
    const json = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    try {
      value = JSON.parse(json);
    } catch (err) {
      yield invalid(line, `invalid JSON: ${err instanceof Error ? err.message : String(err)}${whitespaceHint(text)}`);
      continue;
    }
    if (!isPlainObject(value)) {
      yield invalid(line, `expected a JSON object, got ${describeValue(value)}`);
      continue;
    }
    const obj = keepExactIntegers(value, json, bytes);
    keepExactIds(obj, text);
    if (jsonNestsDeeperThan(bytes)) {
      yield invalid(line, tooDeepMessage(obj), recordId(obj, line));
      continue;
    }
    const surrogate = loneSurrogatePath(text, obj);
    if (surrogate !== undefined) {
      const id = recordId(obj, line);
      // An id that UTF-8 cannot hold cannot name the output line either.
      yield invalid(line, loneSurrogateMessage(surrogate), id.isWellFormed() ? id : "");
      continue;
    }
    const record = toRecord(obj, line);
    if (typeof record === "string") yield invalid(line, record, recordId(obj, line));
    else yield { kind: "record", record };
  }
}

/** `id` "" is "none readable": the id registry (dedupe.ts) makes it `#line-<n>`. */
function invalid(line: number, message: string, id = ""): ReadItem {
  return { kind: "invalid", invalid: { id, line, message } };
}

/** Spaces and tabs only (a `\r` ends the line before it gets here). Unicode spaces are not blank: they are content. */
function isAsciiBlank(bytes: Buffer): boolean {
  if (bytes[0] !== 0x20 && bytes[0] !== 0x09) return false;
  for (const b of bytes) if (b !== 0x20 && b !== 0x09) return false;
  return true;
}

/** For a line that looks blank in an editor but is not: which characters it holds. */
function whitespaceHint(text: string): string {
  if (text.trim() !== "") return "";
  const chars = [...new Set(text)].map((c) => `U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`);
  return ` (the line holds only ${chars.join(", ")}: it looks blank but is not; only lines of ASCII spaces and tabs are skipped)`;
}

function hasUtf16Bom(bytes: Buffer): boolean {
  return bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff));
}

function hasUtf8Bom(bytes: Buffer): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}
