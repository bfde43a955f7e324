import { createReadStream } from "node:fs";
import { open, stat, truncate } from "node:fs/promises";
import { parse } from "csv-parse";
import { UsageError } from "../errors.js";
import type { ReadItem } from "../types.js";
import { splitLines } from "./line-splitter.js";
import type { OutputFormat } from "./result-writer.js";

/**
 * The output file read back as a journal for `--resume`: which ids already have a successful
 * line, which have only failed ones. Appending is the only way the file changes, so a record's
 * lines accumulate (a failure, then its success after a resume); an id is done as soon as it
 * has one `ok` line.
 */
export interface ResumeState {
  /** Ids with at least one successful line: skipped. */
  done: Set<string>;
  /** Ids with failed lines only: run again. */
  failed: Set<string>;
  /** Bytes of a partial last line left by a crash, cut off before appending (0 if none). */
  cutBytes: number;
}

const LF = 0x0a;
const QUOTE = 0x22;

/**
 * Reads the results file `path` for a resume, first cutting off a partial last line (a crash in
 * the middle of a write leaves at most one). Returns undefined when the file does not exist or
 * is empty: a resume then is simply a first run.
 *
 * A whole line that is not a result (edited by hand, another tool's file) is a `UsageError`
 * naming `path:line`: guessing would risk paying for records twice or skipping them.
 */
export async function readResumeState(path: string, format: OutputFormat): Promise<ResumeState | undefined> {
  const size = await sizeOf(path);
  if (size === 0) return undefined;
  const end = format === "csv" ? await lastCsvRowEnd(path) : await lastLineEnd(path, size);
  if (end < size) await truncate(path, end);
  const state: ResumeState = { done: new Set(), failed: new Set(), cutBytes: size - end };
  if (end === 0) return state;
  const add = (id: string, ok: boolean): void => {
    if (ok) {
      state.done.add(id);
      state.failed.delete(id);
    } else if (!state.done.has(id)) state.failed.add(id);
  };
  if (format === "csv") await readCsvResults(path, add);
  else await readJsonlResults(path, add);
  return state;
}

/** True when `path` exists and is not empty. */
export async function hasResults(path: string): Promise<boolean> {
  return (await sizeOf(path)) > 0;
}

/** The file's size; 0 when it does not exist. */
async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return 0;
    throw new UsageError(`cannot read output file "${path}" to resume: ${(err as Error).message}`);
  }
}

/**
 * The records of this run: those whose id the output already has as `ok` are skipped; with
 * `failedOnly` (`--retry-failed`), so are those it has no line for. Items dropped here are
 * counted in `skipped.count`.
 */
export async function* skipFinished(items: AsyncIterable<ReadItem>, state: ResumeState, failedOnly: boolean, skipped: { count: number }): AsyncGenerator<ReadItem> {
  for await (const item of items) {
    const id = item.kind === "record" ? item.record.id : item.invalid.id;
    if (state.done.has(id) || (failedOnly && !state.failed.has(id))) skipped.count++;
    else yield item;
  }
}

/** Offset just past the last `\n`, found by reading backwards from the end in small blocks. */
async function lastLineEnd(path: string, size: number): Promise<number> {
  const handle = await open(path, "r");
  try {
    const block = Buffer.alloc(64 * 1024);
    for (let to = size; to > 0; ) {
      const from = Math.max(0, to - block.length);
      const { bytesRead } = await handle.read(block, 0, to - from, from);
      const nl = block.subarray(0, bytesRead).lastIndexOf(LF);
      if (nl !== -1) return from + nl + 1;
      to = from;
    }
    return 0;
  } finally {
    await handle.close();
  }
}

/**
 * Offset just past the last row ending of a CSV file. A `\n` inside a quoted cell is not a row
 * ending, so the file is scanned forwards keeping track of quotes (`""` toggles twice: no change).
 */
async function lastCsvRowEnd(path: string): Promise<number> {
  let inQuotes = false;
  let offset = 0;
  let end = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i];
      if (c === QUOTE) inQuotes = !inQuotes;
      else if (c === LF && !inQuotes) end = offset + i + 1;
    }
    offset += chunk.length;
  }
  return end;
}

async function readJsonlResults(path: string, add: (id: string, ok: boolean) => void): Promise<void> {
  for await (const raw of splitLines(createReadStream(path))) {
    if ("tooLong" in raw) throw notAResult(path, raw.line, "the line is too long");
    const text = raw.bytes.toString("utf8");
    if (text.trim() === "") continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw notAResult(path, raw.line, "it is not JSON");
    }
    const { id, ok } = (value ?? {}) as { id?: unknown; ok?: unknown };
    if (typeof id !== "string" || typeof ok !== "boolean") throw notAResult(path, raw.line, 'it has no string "id" and boolean "ok"');
    add(id, ok);
  }
}

async function readCsvResults(path: string, add: (id: string, ok: boolean) => void): Promise<void> {
  const parser = createReadStream(path).pipe(
    parse({
      bom: true,
      columns: (header: string[]) => {
        if (!header.includes("id") || !header.includes("ok")) throw notAResult(path, 1, 'its header has no "id" and "ok" columns');
        return header;
      },
      relax_column_count: true,
      info: true,
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
    const id = record.id;
    if (id === undefined || (record.ok !== "true" && record.ok !== "false")) throw notAResult(path, info.lines, 'its "ok" cell is not true or false');
    add(id, record.ok === "true");
  }
}

function notAResult(path: string, line: number, why: string): UsageError {
  return new UsageError(`${path}:${line}: cannot resume: this line is not an llmbatch result (${why}); fix or remove it, or write to a new -o file`);
}
