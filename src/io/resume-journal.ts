import { createReadStream } from "node:fs";
import { open, stat, truncate } from "node:fs/promises";
import { CsvError, parse } from "csv-parse";
import { UsageError } from "../errors.js";
import type { ReadItem } from "../types.js";
import { unguardFormula } from "./formula-guard.js";
import { IdMap } from "./id-map.js";
import { splitLines } from "./line-splitter.js";
import type { OutputFormat } from "./result-writer.js";

/**
 * The output file read back as a journal for `--resume`: which ids already have a successful
 * line, which have only failed ones. Appending is the only way the file changes, so a record's
 * lines accumulate (a failure, then its success after a resume); an id is done as soon as it
 * has one `ok` line.
 *
 * Memory: the ids are kept in an `IdMap` with one byte of state each, so a million `req-N` ids
 * take ~1 MB and a million content ids 12–18 MB (a `Set` of the same strings took ~60 MB).
 */
export interface ResumeState {
  /** Per id: `DONE` (it has an `ok` line: skipped) or `FAILED` (failed lines only: run again). */
  ids: IdMap;
  /** Bytes of a partial last line left by a crash, to cut off before appending (0 if none). */
  cutBytes: number;
  /** Bytes of whole lines: where the file is cut (`cutPartialLine`). */
  end: number;
  /** A CSV file's header row: a resume must write these columns. */
  header?: string[];
  /**
   * The first id spelled like a line number (`"7"`), with the line it is on. Versions before
   * content ids gave records without an id their line number, so such an id in a file whose
   * sidecar has no `id_rule` may not mean what it means now.
   */
  numericId?: { id: string; line: number };
}

export const FAILED = 1;
export const DONE = 2;

const LF = 0x0a;
const QUOTE = 0x22;

/**
 * Reads the whole lines of the results file `path` for a resume, leaving the file as it is (a
 * crash in the middle of a write leaves at most one partial last line: `cutPartialLine` removes
 * it once the resume is accepted). Returns undefined when the file does not exist or is empty: a
 * resume then is simply a first run.
 *
 * A whole line that is not a result (edited by hand, another tool's file) is a `UsageError`
 * naming `path:line`: guessing would risk paying for records twice or skipping them.
 *
 * A CSV or TSV file's id cells are read through the formula guard when `csvGuard` (the writer's
 * setting, on by default) says the file was written with it: `'=x` is the id `=x`.
 */
export async function readResumeState(path: string, format: OutputFormat, opts: { csvGuard?: boolean } = {}): Promise<ResumeState | undefined> {
  const size = await sizeOf(path);
  if (size === 0) return undefined;
  const end = format === "jsonl" ? await lastLineEnd(path, size) : await lastCsvRowEnd(path);
  const state: ResumeState = { ids: new IdMap(255), cutBytes: size - end, end };
  if (end === 0) return state;
  const add = (id: string, ok: boolean, line: number): void => {
    if (ok) state.ids.set(id, DONE);
    else if (state.ids.get(id) === undefined) state.ids.set(id, FAILED);
    if (state.numericId === undefined && isLineNumber(id)) state.numericId = { id, line };
  };
  if (format === "jsonl") await readJsonlResults(path, end, add);
  else state.header = await readCsvResults(path, end, add, format === "tsv" ? "\t" : ",", opts.csvGuard ?? true);
  return state;
}

/** Cuts off the partial last line `readResumeState` found, before the resume appends. */
export async function cutPartialLine(path: string, state: ResumeState): Promise<void> {
  if (state.cutBytes > 0) await truncate(path, state.end);
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
    const status = state.ids.get(id);
    if (status === DONE || (failedOnly && status !== FAILED)) skipped.count++;
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
 * Offset just past the last row ending of a CSV (or TSV) file. A `\n` inside a quoted cell is not a row
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

type AddResult = (id: string, ok: boolean, line: number) => void;

async function readJsonlResults(path: string, end: number, add: AddResult): Promise<void> {
  for await (const raw of splitLines(createReadStream(path, { end: end - 1 }))) {
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
    add(id, ok, raw.line);
  }
}

/**
 * Reads the rows of a CSV results file, or of a TSV one (`delimiter` a tab: llmbatch writes TSV
 * with CSV's quoting), into `add`; returns its header row.
 */
async function readCsvResults(path: string, end: number, add: AddResult, delimiter: "," | "\t", guarded: boolean): Promise<string[]> {
  let columns: string[] = [];
  const parser = createReadStream(path, { end: end - 1 }).pipe(
    parse({
      delimiter,
      bom: true,
      columns: (header: string[]) => {
        if (!header.includes("id") || !header.includes("ok")) throw notAResult(path, 1, 'its header has no "id" and "ok" columns');
        columns = header;
        return header;
      },
      relax_column_count: true,
      info: true,
    }),
  );
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>) {
      const id = record.id;
      if (id === undefined || (record.ok !== "true" && record.ok !== "false")) throw notAResult(path, info.lines, 'its "ok" cell is not true or false');
      add(guarded ? unguardFormula(id) : id, record.ok === "true", info.lines);
    }
  } catch (err) {
    // Text that is not CSV at all (a JSONL file named .csv, a file a spreadsheet re-saved with
    // other quoting): what llmbatch writes always parses, so this is not one of its files.
    if (!(err instanceof CsvError)) throw err;
    const line = typeof err.lines === "number" ? err.lines : 1;
    const format = delimiter === "\t" ? "TSV" : "CSV";
    throw new UsageError(
      `${path}:${line}: cannot resume: this is not an llmbatch results file (it cannot be read as ${format}: ${err.message}); was it written by another tool or re-saved by a spreadsheet? Resume from the file llmbatch wrote, or write to a new -o file`,
    );
  }
  return columns;
}

/** `1`, `42`: what earlier versions gave a record without an id (and how they wrote integer ids). */
function isLineNumber(id: string): boolean {
  if (id.length === 0 || id.charCodeAt(0) === 48) return false;
  for (let i = 0; i < id.length; i++) {
    const c = id.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

function notAResult(path: string, line: number, why: string): UsageError {
  return new UsageError(`${path}:${line}: cannot resume: this line is not an llmbatch result (${why}); fix or remove it, or write to a new -o file`);
}
