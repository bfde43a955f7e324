/**
 * One chunk's life at the provider: upload → create (reconciled through `batches.list` when its
 * answer was lost) → poll → download the output and error files → answer every line's caller. Each
 * step that can create something is preceded by a journal write, so a crash anywhere is resumable
 * without sending anything twice.
 */
import { ProviderError } from "../errors.js";
import { sleep } from "../engine/retry.js";
import { TERMINAL, type BatchApi, type BatchInfo, type BatchLine, type BatchOutputLine } from "./batch-api.js";
import type { BatchJournal, ChunkEntry } from "./journal.js";
import { batchLevelError, readLine } from "./line-result.js";

export interface ChunkRunOptions {
  api: BatchApi;
  journal: BatchJournal;
  pollMs: number;
  /** Aborted at the interrupt: polling ends, the batch is left running, the callers hear not_attempted. */
  stop: AbortSignal;
  /** Hears each poll that changed the batch's state or counts. */
  onProgress?(chunk: ChunkEntry, info: BatchInfo, elapsedMs: number): void;
  onWarning?(message: string): void;
  /** `token_limit_exceeded`: resolves when the batch may be created again (another batch ended, or a while passed). */
  tokenLimitWait(): Promise<void>;
  /** The chunk ended at the provider (any terminal state): enqueued tokens are free again. */
  onEnded?(chunk: ChunkEntry): void;
  /** The provider refused the chunk as too large (`too_many_requests`, `file_too_large`): later chunks of its model are smaller. */
  onTooLarge?(chunk: ChunkEntry): void;
}

/** Validation failures of a whole chunk that a smaller chunk passes: its lines go into smaller ones. */
const TOO_LARGE: ReadonlySet<string> = new Set(["too_many_requests", "file_too_large"]);

interface Waiter {
  line: BatchLine<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

type Ending = { kind: "lines"; batchId: string; lines: Map<string, BatchOutputLine> } | { kind: "failed"; error: (customId: string) => ProviderError };

const MAX_CREATE_TRIES = 6;

export class ChunkRun {
  readonly entry: ChunkEntry;
  readonly #o: ChunkRunOptions;
  readonly #content: Uint8Array | undefined;
  readonly #waiters = new Map<string, Waiter>();
  #ending: Ending | undefined;
  readonly #started = performance.now();
  /** The batch as last seen, for progress lines. */
  last: BatchInfo | undefined;
  /** The run was interrupted while the batch ran: it is left running at the provider. */
  leftRunning = false;

  /** `content`: the input file, for a chunk not yet uploaded. */
  constructor(entry: ChunkEntry, options: ChunkRunOptions, content?: Uint8Array) {
    this.entry = entry;
    this.#o = options;
    this.#content = content;
  }

  /** Runs the chunk to its end; never throws (failures become the lines' errors). */
  async run(): Promise<void> {
    try {
      this.#ending = await this.#lifecycle();
    } catch (err) {
      const error = this.#o.stop.aborted ? interrupted(this.entry) : asError(err, this.#o.api);
      this.leftRunning = this.#o.stop.aborted && this.entry.batch_id !== undefined;
      this.#ending = { kind: "failed", error: () => error };
    }
    for (const [id, w] of this.#waiters) this.#answer(id, w);
    this.#waiters.clear();
  }

  /** Waits for the answer of line `customId` of this chunk. */
  wait<R>(customId: string, line: BatchLine<R>): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      const w: Waiter = { line, resolve: resolve as (v: unknown) => void, reject };
      if (this.#ending !== undefined) this.#answer(customId, w);
      else this.#waiters.set(customId, w);
    });
  }

  /** Whether the chunk has ended (its lines are answered from memory). */
  get ended(): boolean {
    return this.#ending !== undefined;
  }

  /** Milliseconds since the chunk started here. */
  get elapsedMs(): number {
    return performance.now() - this.#started;
  }

  #answer(customId: string, w: Waiter): void {
    const e = this.#ending!;
    try {
      if (e.kind === "failed") throw e.error(customId);
      w.resolve(readLine(w.line, e.lines.get(customId), e.batchId, customId));
    } catch (err) {
      w.reject(err);
    }
  }

  async #lifecycle(): Promise<Ending> {
    const { journal } = this.#o;
    const c = this.entry;
    if (c.file_id === undefined) {
      if (this.#content === undefined) throw new Error(`chunk ${c.index} has no file and no content`);
      const fileId = await this.#o.api.upload(`llmbatch-${c.index}.jsonl`, this.#content, this.#o.stop);
      await journal.update(c, { file_id: fileId, state: "uploaded" });
    }
    for (;;) {
      if (c.batch_id === undefined) await journal.update(c, { batch_id: await this.#create(), state: "created" });
      const info = await this.#poll(c.batch_id!);
      if (info.status === "failed" && info.errors.some((e) => e.code === "token_limit_exceeded")) {
        // The enqueued-token limit: nothing ran, nothing was billed. Wait for running batches, then create it again.
        this.#o.onWarning?.(`batch ${info.id} (chunk ${c.index}, ${c.model}): enqueued token limit reached; waiting for running batches before creating it again`);
        this.#o.onEnded?.(c);
        await journal.update(c, { failed_batch_ids: [...(c.failed_batch_ids ?? []), info.id], batch_id: undefined, state: "uploaded" });
        await this.#o.tokenLimitWait();
        continue;
      }
      this.#o.onEnded?.(c);
      if (info.status === "failed") {
        const reason = info.errors.map((e) => `${e.code}: ${e.message}${e.line === undefined ? "" : ` (line ${e.line})`}`).join("; ") || "no reason given";
        await journal.update(c, { state: "failed", reason });
        if (c.custom_ids.length > 1 && info.errors.length > 0 && info.errors.every((e) => e.line === undefined && TOO_LARGE.has(e.code))) {
          this.#o.onTooLarge?.(c);
          this.#o.onWarning?.(`batch ${info.id} (chunk ${c.index}, ${c.model}, ${c.custom_ids.length} requests) was refused as too large (${reason}); its requests go into smaller batches`);
          const error = batchLevelError("batch_failed", `batch ${info.id} was refused as too large: ${reason}`);
          return { kind: "failed", error: () => error };
        }
        return { kind: "failed", error: validationFailure(c, info, reason) };
      }
      const lines = new Map<string, BatchOutputLine>();
      for (const fileId of [info.outputFileId, info.errorFileId]) {
        if (fileId === undefined) continue;
        for await (const line of this.#o.api.lines(fileId, this.#o.stop)) lines.set(line.custom_id, line);
      }
      await journal.update(c, { state: "collected" });
      return { kind: "lines", batchId: info.id, lines };
    }
  }

  /** Creates the batch once: a create whose answer was lost is looked for by its metadata first. */
  async #create(): Promise<string> {
    const c = this.entry;
    const metadata = { llmbatch_run: this.#o.journal.data.run, llmbatch_chunk: String(c.index), llmbatch_hash: c.hash };
    for (let tries = 1; ; tries++) {
      const found = await this.#find(metadata);
      if (found !== undefined) return found;
      try {
        const batch = await this.#o.api.create({ inputFileId: c.file_id!, endpoint: c.endpoint, metadata }, this.#o.stop);
        return batch.id;
      } catch (err) {
        const error = this.#o.api.classify(err);
        if (this.#o.stop.aborted || !error.retriable || tries >= MAX_CREATE_TRIES) throw error;
        this.#o.onWarning?.(`creating the batch of chunk ${c.index} failed (${error.message}); looking for it among the batches before trying again`);
        await sleep(Math.min(500 * 2 ** tries, 30_000), this.#o.stop);
      }
    }
  }

  /** The batch of this chunk that `create` made, if it made one (a crash or a lost answer hides it). */
  async #find(metadata: Record<string, string>): Promise<string | undefined> {
    const skip = new Set(this.entry.failed_batch_ids ?? []);
    for await (const b of this.#o.api.list(this.entry.intent_at - 60, this.#o.stop)) {
      if (skip.has(b.id)) continue;
      if (b.metadata.llmbatch_run === metadata.llmbatch_run && b.metadata.llmbatch_chunk === metadata.llmbatch_chunk && b.metadata.llmbatch_hash === metadata.llmbatch_hash) return b.id;
    }
    return undefined;
  }

  /** Retrieves the batch until it ends, backing off on errors. */
  async #poll(id: string): Promise<BatchInfo> {
    let failures = 0;
    let seen = "";
    for (;;) {
      let info: BatchInfo | undefined;
      try {
        info = await this.#o.api.retrieve(id, this.#o.stop);
        failures = 0;
      } catch (err) {
        if (this.#o.stop.aborted) throw err;
        const error = this.#o.api.classify(err);
        if (!error.retriable) throw error;
        failures++;
        this.#o.onWarning?.(`polling batch ${id} failed (${error.message}); trying again`);
      }
      if (info !== undefined) {
        this.last = info;
        const now = `${info.status} ${info.counts.completed} ${info.counts.failed}`;
        if (now !== seen) {
          seen = now;
          this.#o.onProgress?.(this.entry, info, performance.now() - this.#started);
        }
        if (TERMINAL.has(info.status)) return info;
      }
      await sleep(this.#o.pollMs * Math.min(2 ** failures, 16), this.#o.stop);
    }
  }
}

/**
 * The error each line of a batch that failed validation gets: a line the provider named is invalid
 * in itself (that record's `invalid_input`); the others were refused with it and are sent again.
 * A failure that names no line refuses the whole chunk as it is.
 */
function validationFailure(c: ChunkEntry, info: BatchInfo, reason: string): (customId: string) => ProviderError {
  const named = new Map<string, string>();
  for (const e of info.errors) {
    if (e.line === undefined) continue;
    const id = c.custom_ids[e.line - 1];
    if (id !== undefined) named.set(id, `${e.code}: ${e.message}`);
  }
  return (customId) => {
    const own = named.get(customId);
    if (own !== undefined) return new ProviderError({ type: "invalid_input", code: "batch_invalid_line", retriable: false, message: `batch ${info.id} refused this request: ${own}` });
    if (named.size > 0) return batchLevelError("batch_failed", `batch ${info.id} failed validation because of other lines (${reason})`);
    return new ProviderError({ type: "bad_request", code: "batch_failed", retriable: false, message: `batch ${info.id} failed validation: ${reason}` });
  };
}

function interrupted(c: ChunkEntry): ProviderError {
  const where = c.batch_id === undefined ? `chunk ${c.index}` : `batch ${c.batch_id}`;
  return new ProviderError({
    type: "not_attempted",
    code: "batch_interrupted",
    retriable: false,
    message: `interrupted while ${where} was running; it is left running at the provider: --resume collects it`,
  });
}

/**
 * A failure of the chunk's own calls. A 404 means the batch or one of its files is gone (deleted,
 * expired at the provider): its requests are sent again, not taken for an unknown model.
 */
function asError(err: unknown, api: BatchApi): ProviderError {
  const error = err instanceof ProviderError ? err : api.classify(err);
  if (error.status === 404) return batchLevelError("batch_lost", `the batch or its file is gone at the provider (${error.message})`);
  return error;
}
