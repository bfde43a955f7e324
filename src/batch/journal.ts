/**
 * The submission journal, `<output>.batches.json`: what was sent to the provider's Batch API, written
 * atomically BEFORE each network call that could create something billable. Per chunk: its intent
 * (key, custom ids, model, endpoint) before the upload, the file id before `create`, the batch id once
 * `create` answered, and its end. A crash at any point leaves a journal that says, for every chunk,
 * the last thing known about it; `--resume` continues from there and sends nothing twice.
 */
import { randomUUID } from "node:crypto";
import { UsageError } from "../errors.js";
import { readStateFile, writeFileAtomic } from "../io/atomic-file.js";

export type ChunkState = "intent" | "uploaded" | "created" | "collected" | "failed";

export interface ChunkEntry {
  /** 0, 1, 2… in the order chunks were formed over every run of the results file. */
  index: number;
  /** sha256 of the chunk's input file (hex). */
  hash: string;
  /** The provider (endpoint) name the chunk went to. */
  provider: string;
  model: string;
  endpoint: string;
  custom_ids: string[];
  bytes: number;
  /** Unix seconds when the intent was written: `batches.list` is searched back to it. */
  intent_at: number;
  state: ChunkState;
  file_id?: string;
  batch_id?: string;
  /** Batches of this chunk that failed validation and were created again (`token_limit_exceeded`). */
  failed_batch_ids?: string[];
  /** What ended it, for `failed`. */
  reason?: string;
}

export interface JournalData {
  llmbatch_batches: 1;
  /** Random id of the results file's batch work, sent as `metadata.llmbatch_run`. */
  run: string;
  /** The run fingerprint (the sidecar's). */
  fingerprint: string;
  chunks: ChunkEntry[];
}

export function journalPath(output: string): string {
  return `${output}.batches.json`;
}

export class BatchJournal {
  readonly path: string;
  readonly data: JournalData;
  /** Writes run one at a time, in order; each waits for those before it. */
  #writing: Promise<void> = Promise.resolve();

  private constructor(path: string, data: JournalData) {
    this.path = path;
    this.data = data;
  }

  /** A new journal (nothing sent yet), or the one beside `output` when resuming. */
  static async open(output: string, fingerprint: string, resume: boolean, onWarning?: (message: string) => void): Promise<BatchJournal> {
    const path = journalPath(output);
    const existing = resume ? await readJournal(path) : undefined;
    if (!resume) {
      // A new results file starts a new journal; batches of the old one that never ended are forgotten.
      const old = await readJournal(path).catch(() => undefined);
      const open = old?.chunks.filter((c) => c.batch_id !== undefined && c.state === "created") ?? [];
      if (open.length > 0) {
        onWarning?.(
          `${path}: ${open.length} batch${open.length === 1 ? "" : "es"} of the earlier run on ${output} had not been collected (${open[0]!.batch_id}${open.length > 1 ? ", …" : ""}); a run without --resume starts over and does not collect ${open.length === 1 ? "it" : "them"} (they may still be billed)`,
        );
      }
    }
    const journal = new BatchJournal(path, existing ?? { llmbatch_batches: 1, run: randomUUID(), fingerprint, chunks: [] });
    try {
      await journal.save();
    } catch (err) {
      throw new UsageError(`--batch: cannot write the batch journal "${path}" beside the results file: ${(err as Error).message}`);
    }
    return journal;
  }

  /** Writes the journal as it is now (atomically); resolves once this state is on disk. */
  save(): Promise<void> {
    const next = this.#writing.then(() => writeFileAtomic(this.path, `${JSON.stringify(this.data)}\n`));
    this.#writing = next.catch(() => undefined);
    return next;
  }

  /** Adds a chunk's intent and writes it down. */
  async intend(entry: Omit<ChunkEntry, "index" | "state" | "intent_at">): Promise<ChunkEntry> {
    const chunk: ChunkEntry = { index: this.data.chunks.length, state: "intent", intent_at: Math.floor(Date.now() / 1000) - 1, ...entry };
    this.data.chunks.push(chunk);
    await this.save();
    return chunk;
  }

  /** Changes a chunk and writes it down. */
  async update(chunk: ChunkEntry, change: Partial<ChunkEntry>): Promise<void> {
    Object.assign(chunk, change);
    await this.save();
  }

  /** Per custom id, the last chunk holding it that may have reached the provider (a file was uploaded). */
  sentIndex(): Map<string, ChunkEntry> {
    const index = new Map<string, ChunkEntry>();
    for (const chunk of this.data.chunks) {
      if (chunk.file_id === undefined) continue;
      for (const id of chunk.custom_ids) index.set(id, chunk);
    }
    return index;
  }
}

/** The journal at `path`, or undefined when there is none. */
export async function readJournal(path: string): Promise<JournalData | undefined> {
  const text = await readStateFile(path);
  if (text === undefined) return undefined;
  let data: JournalData;
  try {
    data = JSON.parse(text) as JournalData;
  } catch (err) {
    throw new UsageError(`"${path}" is not a batch journal (not JSON: ${(err as Error).message}); move it away to start the batches over`);
  }
  if (data?.llmbatch_batches !== 1 || !Array.isArray(data.chunks) || typeof data.run !== "string") {
    throw new UsageError(`"${path}" is not a batch journal of this version (expected "llmbatch_batches": 1 with "run" and "chunks")`);
  }
  return data;
}
