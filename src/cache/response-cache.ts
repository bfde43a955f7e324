/**
 * The response cache as the call path sees it (`CallContext.cache`): a synchronous lookup before
 * the budget and the gates, and the successful reply stored after settlement. It stores what the
 * reply says (text, choices, finish reason, usage, model, provider id) and never what the call
 * went through: errors are never stored, nor rate-limit headers or server queue times (replaying
 * those would teach the gates limits the server never sent).
 *
 * A store that fails mid-run (a disk error, a corrupted page) is one warning, then the run goes on
 * without the cache: a cache must never fail a run.
 */
import type { Provider, SentCall } from "../types.js";
import type { LmdbCacheStore, StoredEntry } from "./lmdb-store.js";
import { requestKey } from "./request-key.js";

/** What one lookup found: the key to store the answer under, and the stored reply on a hit. */
export interface CacheLookup {
  key: string;
  reply?: unknown;
}

/** The seam the call path uses: `ResponseCache` is the built-in one. */
export interface CallCache {
  /** The stored reply for this call, or a miss; synchronous, so a miss costs no event turn. */
  lookup(provider: Provider, call: SentCall): CacheLookup | undefined;
  /** Stores a successful reply. Returns a promise only when writes pile up and the caller should wait for them. */
  store(lookup: CacheLookup, reply: object): Promise<unknown> | undefined;
}

export interface ResponseCacheOptions {
  /** Bytes the store may hold; least-recently-used entries go beyond it. */
  maxSizeBytes: number;
  /** Entries older than this are misses (and are replaced by the new answer). @default no limit */
  ttlMs?: number | undefined;
  onWarning?: ((message: string) => void) | undefined;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Writes not yet committed, past which a call waits for them: a store slower than the network must
 * not pile answers up in memory. (lmdb-js has a backstop of its own: past its threshold of queued
 * writes it blocks the main thread until its write thread catches up.)
 */
export const MAX_PENDING_WRITES = 2000;

/**
 * Answers and uses are handed to the store together, every this many ms or every `BATCH_MAX`:
 * lmdb-js commits one transaction per event turn with writes, and answers arrive on turns of their
 * own, so without this nearly every answer would cost a transaction of its own (a few hundred µs
 * of main thread each). A kill -9 loses at most the last batch, which only costs those requests again.
 */
const BATCH_MS = 50;
const BATCH_MAX = 500;

type QueuedWrite = { key: string; entry?: StoredEntry; now: number };

/** The store's size is checked after this many writes of this process (and at open). */
const SIZE_CHECK_EVERY = 256;

/** Eviction frees down to this share of the maximum, so it does not run again at the next write. */
const EVICT_TO = 0.9;

export class ResponseCache implements CallCache {
  readonly #store: LmdbCacheStore;
  readonly #opts: ResponseCacheOptions;
  readonly #now: () => number;
  #hits = 0;
  #misses = 0;
  #pending = 0;
  #writesSinceCheck = 0;
  #evicting: Promise<unknown> | undefined;
  #lastWrite: Promise<unknown> = Promise.resolve();
  #queue: QueuedWrite[] = [];
  #timer: NodeJS.Timeout | undefined;
  #broken = false;
  #closed: Promise<void> | undefined;

  constructor(store: LmdbCacheStore, options: ResponseCacheOptions) {
    this.#store = store;
    this.#opts = options;
    this.#now = options.now ?? Date.now;
    this.#checkSize();
  }

  /** The cache directory. */
  get dir(): string {
    return this.#store.dir;
  }

  /** Calls answered from the cache. */
  get hits(): number {
    return this.#hits;
  }

  /** Calls looked up and not found (or found too old): they went to the provider. */
  get misses(): number {
    return this.#misses;
  }

  lookup(provider: Provider, call: SentCall): CacheLookup | undefined {
    if (this.#broken) return undefined;
    try {
      const key = requestKey(provider, call);
      const entry = this.#store.get(key);
      const now = this.#now();
      if (entry === undefined || !this.#fresh(entry, now)) {
        this.#misses++;
        return { key };
      }
      this.#enqueue({ key, now });
      this.#hits++;
      return { key, reply: entry.r };
    } catch (err) {
      this.#fail("cannot read the cache", err);
      return undefined;
    }
  }

  store(lookup: CacheLookup, reply: object): Promise<unknown> | undefined {
    if (this.#broken) return undefined;
    const { rateLimits: _limits, serverQueueMs: _queue, batch: _batch, ...kept } = reply as { rateLimits?: unknown; serverQueueMs?: unknown; batch?: unknown };
    const now = this.#now();
    this.#enqueue({ key: lookup.key, entry: { c: now, r: kept }, now });
    if (++this.#writesSinceCheck >= SIZE_CHECK_EVERY) this.#checkSize();
    return this.#pending > MAX_PENDING_WRITES ? this.#lastWrite : undefined;
  }

  #enqueue(write: QueuedWrite): void {
    this.#pending++;
    this.#queue.push(write);
    if (this.#queue.length >= BATCH_MAX) this.#flush();
    else this.#timer ??= setTimeout(() => this.#flush(), BATCH_MS).unref();
  }

  /** Hands the queued writes to the store in one event turn: one transaction. */
  #flush(): void {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    const batch = this.#queue;
    if (batch.length === 0) return;
    this.#queue = [];
    let last: Promise<unknown> = Promise.resolve();
    try {
      for (const w of batch) {
        if (w.entry === undefined) this.#store.touch(w.key, w.now);
        else last = this.#store.put(w.key, w.entry, w.now);
      }
    } catch (err) {
      this.#fail("cannot write to the cache", err);
    }
    const done = () => (this.#pending -= batch.length);
    this.#lastWrite = Promise.all([this.#lastWrite, last, this.#store.flushed()]).then(done, (err: unknown) => {
      done();
      this.#fail("cannot write to the cache", err);
    });
  }

  /** Resolves once every answer stored so far is committed (a lookup sees only committed answers). */
  async flushed(): Promise<void> {
    this.#flush();
    await this.#lastWrite;
  }

  /** Waits for the writes, adds this run's hits and misses to the day's counts, and closes the store. Once. */
  close(): Promise<void> {
    return (this.#closed ??= this.#close());
  }

  async #close(): Promise<void> {
    try {
      await this.#evicting;
      await this.flushed();
      if (!this.#broken) await this.#store.addCounts(new Date(this.#now()).toISOString().slice(0, 10), this.#hits, this.#misses);
      await this.#store.close();
    } catch (err) {
      this.#fail("cannot close the cache", err);
    }
  }

  #fresh(entry: StoredEntry, now: number): boolean {
    const ttl = this.#opts.ttlMs;
    return ttl === undefined || now - entry.c <= ttl;
  }

  /** Starts an eviction when the store holds more than its maximum (one at a time). */
  #checkSize(): void {
    this.#writesSinceCheck = 0;
    if (this.#evicting !== undefined || this.#broken) return;
    try {
      const over = this.#store.usedBytes() - this.#opts.maxSizeBytes * EVICT_TO;
      if (this.#store.usedBytes() <= this.#opts.maxSizeBytes) return;
      this.#evicting = this.#store.evict(over).then(
        () => (this.#evicting = undefined),
        (err: unknown) => this.#fail("cannot evict old entries from the cache", err),
      );
    } catch (err) {
      this.#fail("cannot read the cache's size", err);
    }
  }

  #fail(what: string, err: unknown): void {
    if (this.#broken) return;
    this.#broken = true;
    const message = err instanceof Error ? err.message : String(err);
    this.#opts.onWarning?.(`${what} in ${this.#store.dir} (${message}); the rest of the run goes on without the cache`);
  }
}
