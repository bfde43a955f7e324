/**
 * The batch backend of the call path: each LLM call of a `--batch` run becomes one line of a
 * provider batch. Lines gather into open chunks (one model and one endpoint each); a chunk is
 * submitted when it is full (`--batch-size`, `--batch-max-mb`, the enqueued-token limit) or when
 * nothing else can arrive: every record in flight waits on a line and the engine can start no
 * other record (the input is read, or as many records are in flight as it allows). Records go on
 * when their lines are answered, so a pipeline's later LLM steps form the next wave by themselves.
 */
import { createHash } from "node:crypto";
import { setMaxListeners } from "node:events";
import { ProviderError } from "../errors.js";
import { MemoryQuotaStore } from "../gates/memory-quota-store.js";
import { Quota } from "../gates/quota.js";
import type { ProviderCallOptions, ProviderName } from "../types.js";
import type { BatchApi, BatchInfo, BatchLine } from "./batch-api.js";
import { ChunkRun } from "./chunk-run.js";
import { nextCustomId } from "./custom-id.js";
import type { BatchJournal, ChunkEntry } from "./journal.js";
import type { LiveBatch } from "../metrics/live-metrics.js";

export interface BatchSettings {
  /** Requests per batch at most. @default 50000 */
  size: number;
  /** Bytes per batch input file at most. @default 200 MB */
  maxBytes: number;
  pollMs: number;
  /** Prompt tokens per model enqueued at once at most. @default unlimited */
  maxEnqueuedTokens?: number | undefined;
  /** After a batch-level failure, retry through the synchronous path. @default false */
  fallbackSync: boolean;
  /** A partial chunk is submitted once no line arrived for this long, whatever else is running. @default 2000 */
  idleMs?: number;
}

export interface CollectorOptions extends BatchSettings {
  /** Records the engine runs at once at most: when that many wait on lines, no other line can come. */
  capacity: number;
  /** Calls waiting elsewhere for what only answers free (the `--max-cost` budget): they count as waiting. */
  waitingElsewhere?: () => number;
  /** The Batch API of each provider (endpoint) the pipeline calls. */
  api(provider: ProviderName): BatchApi;
  journal: BatchJournal;
  /** Aborted when the run stops admitting: lines not yet submitted are never sent. */
  stop: AbortSignal;
  /**
   * Aborted at the interrupt (Ctrl-C): polling ends and submitted batches are left running. After
   * another stop (the budget, --max-errors) submitted batches are still collected, as requests in
   * flight are answered. @default `stop`
   */
  interrupt?: AbortSignal;
  onProgress?(chunk: ChunkEntry, info: BatchInfo, elapsedMs: number): void;
  onWarning?(message: string): void;
}

interface Pending {
  customId: string;
  line: BatchLine<unknown>;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

interface OpenChunk {
  provider: ProviderName;
  model: string;
  url: string;
  lines: string[];
  pending: Pending[];
  bytes: number;
  tokens: number;
}

export class BatchCollector {
  readonly #o: CollectorOptions;
  readonly #open = new Map<string, OpenChunk>();
  /** Chunks of earlier runs that reached the provider, by the custom ids they hold (`--resume`). */
  readonly #sent: Map<string, ChunkEntry>;
  readonly #adopted = new Map<number, ChunkRun>();
  readonly #runs = new Set<ChunkRun>();
  readonly #quotas = new Map<string, Quota>();
  readonly #store = new MemoryQuotaStore();
  readonly #enqueued = new Map<string, number>();
  /** Per model, the size and bytes a chunk must stay below after the provider refused one as too large. */
  readonly #smaller = new Map<string, { lines: number; bytes: number }>();
  #tokenWaiters: (() => void)[] = [];
  /** Lines sent to the collector and not answered yet. */
  #waiting = 0;
  #running = 0;
  #inputDone = false;
  #checkScheduled = false;
  #idle: NodeJS.Timeout | undefined;
  /** Batches created and lines sent, by this run. */
  readonly stats = { batches: 0, requests: 0, resumed_batches: 0 };

  constructor(options: CollectorOptions) {
    this.#o = options;
    this.#sent = options.journal.sentIndex();
    // Each chunk polling or transferring listens on these (a few listeners per chunk, removed when
    // done); the chunks in flight, not a leak, are what bounds them.
    setMaxListeners(0, options.stop, ...(options.interrupt ? [options.interrupt] : []));
    options.stop.addEventListener("abort", () => this.#dropOpen(), { once: true });
  }

  /** The quota a batch line spends: the Batch API's own pool, apart from the synchronous RPM/TPM. */
  quota(provider: ProviderName, model: string): Quota {
    const key = `batch|${provider}|${model}`;
    let q = this.#quotas.get(key);
    if (q === undefined) this.#quotas.set(key, (q = new Quota(key, `batch:${model}`, this.#store)));
    return q;
  }

  /** The engine's state: records started and not finished, and whether the input is read to its end. */
  flow(running: number, inputDone: boolean): void {
    this.#running = running;
    this.#inputDone = inputDone;
    this.#scheduleCheck();
  }

  /** Every batch of this run as last polled, for `--metrics-file`. */
  live(): LiveBatch[] {
    const out: LiveBatch[] = [];
    for (const r of this.#runs) {
      const b = r.last;
      if (b === undefined) continue;
      out.push({
        batch_id: b.id,
        chunk: r.entry.index,
        model: r.entry.model,
        status: b.status,
        total: b.counts.total,
        completed: b.counts.completed,
        failed: b.counts.failed,
        elapsed_s: Math.round(r.elapsedMs / 100) / 10,
      });
    }
    return out;
  }

  /** Batches at the provider that have not ended (left running after an interrupt). */
  unfinished(): ChunkRun[] {
    return [...this.#runs].filter((r) => r.leftRunning || (!r.ended && r.entry.batch_id !== undefined));
  }

  /** One call as a line of a batch: resolves with its answer, or rejects with the error it stands for. */
  send<R>(line: BatchLine<R>, op: { provider: ProviderName; model: string; promptTokens: number }, _options: ProviderCallOptions): Promise<R> {
    if (this.#o.stop.aborted) return Promise.reject(notSent());
    this.#waiting++;
    return this.#answer(line, op).finally(() => this.#settled());
  }

  /**
   * The answer of the record's next call. On a resume, a call an earlier run already sent is
   * answered from its batch; when that answer was a failure worth retrying (expired, cancelled, a
   * 500), the earlier run's retry of it is looked for next, and so on, without counting against
   * this run's retries: the history is replayed as it happened, and this run retries afresh from
   * where it ended (a record whose retries ran out before can succeed on `--resume`).
   */
  async #answer<R>(line: BatchLine<R>, op: { provider: ProviderName; model: string; promptTokens: number }): Promise<R> {
    const serialized = JSON.stringify({ url: line.url, body: line.body });
    for (;;) {
      const customId = nextCustomId(serialized);
      const earlier = this.#sent.get(customId);
      if (earlier === undefined) return this.#enqueue(line, op, customId);
      try {
        return await this.#adopt(earlier).wait(customId, line);
      } catch (err) {
        if (!(err instanceof ProviderError && err.retriable && !err.fatal) || this.#o.stop.aborted) throw err;
      }
    }
  }

  #enqueue<R>(line: BatchLine<R>, op: { provider: ProviderName; model: string; promptTokens: number }, customId: string): Promise<R> {
    const { provider, model, promptTokens } = op;
    return new Promise<R>((resolve, reject) => {
      const text = JSON.stringify({ custom_id: customId, method: "POST", url: line.url, body: line.body });
      const bytes = Buffer.byteLength(text) + 1;
      const key = `${provider}\u0000${model}\u0000${line.url}`;
      let chunk = this.#open.get(key);
      if (chunk !== undefined && !this.#fits(chunk, bytes, promptTokens, model)) {
        this.#submit(key, chunk);
        chunk = undefined;
      }
      if (chunk === undefined) this.#open.set(key, (chunk = { provider, model, url: line.url, lines: [], pending: [], bytes: 0, tokens: 0 }));
      chunk.lines.push(text);
      chunk.pending.push({ customId, line: line as BatchLine<unknown>, resolve: resolve as (v: unknown) => void, reject });
      chunk.bytes += bytes;
      chunk.tokens += promptTokens;
      if (chunk.lines.length >= this.#maxLines(model)) this.#submit(key, chunk);
      else this.#armIdle();
      this.#scheduleCheck();
    });
  }

  #maxLines(model: string): number {
    return Math.min(this.#o.size, this.#smaller.get(model)?.lines ?? Number.POSITIVE_INFINITY);
  }

  #fits(chunk: OpenChunk, bytes: number, tokens: number, model: string): boolean {
    if (chunk.bytes + bytes > Math.min(this.#o.maxBytes, this.#smaller.get(model)?.bytes ?? Number.POSITIVE_INFINITY)) return false;
    const limit = this.#o.maxEnqueuedTokens;
    return limit === undefined || chunk.tokens + tokens <= limit;
  }

  #settled(): void {
    this.#waiting--;
    this.#scheduleCheck();
  }

  /** After the current burst of work (answers going on to their next steps), see whether nothing else can arrive. */
  #scheduleCheck(): void {
    if (this.#checkScheduled || this.#open.size === 0) return;
    this.#checkScheduled = true;
    setImmediate(() => {
      this.#checkScheduled = false;
      // Nothing else can arrive: every record the engine may run waits on a line, or the input is
      // read and every record still running does.
      const waiting = this.#waiting + (this.#o.waitingElsewhere?.() ?? 0);
      if (waiting >= this.#o.capacity || (this.#inputDone && waiting >= this.#running)) this.#submitAll();
    });
  }

  #armIdle(): void {
    clearTimeout(this.#idle);
    // Not unref'd: while lines wait in an open chunk, this timer is what is left to submit them.
    this.#idle = setTimeout(() => this.#submitAll(), this.#o.idleMs ?? 2_000);
  }

  #submitAll(): void {
    clearTimeout(this.#idle);
    for (const [key, chunk] of [...this.#open]) this.#submit(key, chunk);
  }

  #submit(key: string, chunk: OpenChunk): void {
    this.#open.delete(key);
    if (this.#open.size === 0) clearTimeout(this.#idle);
    void this.#start(chunk).catch((err: unknown) => {
      for (const p of chunk.pending) p.reject(err);
    });
  }

  async #start(chunk: OpenChunk): Promise<void> {
    await this.#roomFor(chunk.model, chunk.tokens);
    if (this.#o.stop.aborted) throw notSent();
    const content = Buffer.from(`${chunk.lines.join("\n")}\n`);
    chunk.lines = [];
    const hash = createHash("sha256").update(content).digest("hex");
    const entry = await this.#o.journal.intend({ hash, provider: chunk.provider, model: chunk.model, endpoint: chunk.url, custom_ids: chunk.pending.map((p) => p.customId), bytes: content.length });
    const run = this.#chunkRun(entry, content, chunk.tokens);
    for (const p of chunk.pending) run.wait(p.customId, p.line).then(p.resolve, p.reject);
    this.stats.batches++;
    this.stats.requests += chunk.pending.length;
    await run.run();
  }

  /** A chunk an earlier run sent: its batch is found, polled and collected once, for every line asked of it. */
  #adopt(entry: ChunkEntry): ChunkRun {
    let run = this.#adopted.get(entry.index);
    if (run === undefined) {
      run = this.#chunkRun(entry, undefined, 0);
      this.#adopted.set(entry.index, run);
      this.stats.resumed_batches++;
      void run.run();
    }
    return run;
  }

  #chunkRun(entry: ChunkEntry, content: Uint8Array | undefined, tokens: number): ChunkRun {
    const o = this.#o;
    let ended = false;
    const run = new ChunkRun(
      entry,
      {
        api: o.api(entry.provider),
        journal: o.journal,
        pollMs: o.pollMs,
        stop: o.interrupt ?? o.stop,
        onProgress: o.onProgress,
        onWarning: o.onWarning,
        tokenLimitWait: () => this.#nextEnd(o.pollMs * 10),
        onTooLarge: (c) => {
          const now = this.#smaller.get(c.model);
          const lines = Math.max(1, Math.floor(c.custom_ids.length / 2));
          const bytes = Math.max(1, Math.floor(c.bytes / 2));
          this.#smaller.set(c.model, { lines: Math.min(lines, now?.lines ?? lines), bytes: Math.min(bytes, now?.bytes ?? bytes) });
        },
        onEnded: () => {
          if (!ended) this.#release(entry.model, tokens);
          ended = true;
        },
      },
      content,
    );
    this.#runs.add(run);
    return run;
  }

  async #roomFor(model: string, tokens: number): Promise<void> {
    const limit = this.#o.maxEnqueuedTokens;
    if (limit !== undefined) {
      while (!this.#o.stop.aborted && (this.#enqueued.get(model) ?? 0) > 0 && (this.#enqueued.get(model) ?? 0) + tokens > limit) await this.#nextEnd(undefined);
    }
    this.#enqueued.set(model, (this.#enqueued.get(model) ?? 0) + tokens);
  }

  #release(model: string, tokens: number): void {
    this.#enqueued.set(model, Math.max(0, (this.#enqueued.get(model) ?? 0) - tokens));
    const waiters = this.#tokenWaiters;
    this.#tokenWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when some chunk ends, or after `ms`. */
  #nextEnd(ms: number | undefined): Promise<void> {
    return new Promise((resolve) => {
      const timer = ms === undefined ? undefined : setTimeout(resolve, ms);
      this.#tokenWaiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** At the interrupt: lines not yet submitted were never sent. */
  #dropOpen(): void {
    clearTimeout(this.#idle);
    for (const chunk of this.#open.values()) for (const p of chunk.pending) p.reject(notSent());
    this.#open.clear();
    for (const w of this.#tokenWaiters) w();
    this.#tokenWaiters = [];
  }
}

function notSent(): ProviderError {
  return new ProviderError({ type: "not_attempted", code: "batch_not_sent", retriable: false, message: "the run stopped before this request's batch was submitted" });
}
