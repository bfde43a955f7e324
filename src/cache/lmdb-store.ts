/**
 * The response cache's embedded store: one LMDB environment in the cache directory (`lmdb`, whose
 * prebuilt binaries ship inside its npm packages), loaded on first use so a run without `--cache`
 * never loads it.
 *
 * Why LMDB is safe here (lmdb-js README, "overlappingSync" and build notes):
 * - Several processes may open one directory at once: LMDB serialises writers with a lock in
 *   `lock.mdb` (robust mutexes: a writer killed mid-transaction is rolled back by the OS, the others
 *   go on), readers see a consistent snapshot, and stale reader slots of dead processes are cleared
 *   on open (`readerCheck`).
 * - A kill -9 mid-write never leaves it unreadable: pages are copy-on-write and a transaction
 *   becomes visible only when its meta page is written, so the last committed state survives. The
 *   defaults are kept on purpose: no `noSync`, no `useWritemap` (a stray write through the map could
 *   corrupt it), and `overlappingSync` (the default on Linux and macOS), which flushes after the
 *   commit and keeps the previous flushed snapshot for a machine crash. A machine crash may lose
 *   the last writes, which only costs their requests again.
 * - Writes are asynchronous and batched per event turn into one transaction on lmdb-js's write
 *   thread; `ResponseCache` bounds how many may be pending (see `MAX_PENDING_WRITES`).
 *
 * Layout: `entries` (key → {c: created ms, r: reply}), `atime` (key → last use ms) and `lru`
 * ([last use ms, key] → true, ordered oldest first) for least-recently-used eviction, and `meta`
 * (hits and misses per day, for `llmbatch cache stats`).
 */
import { mkdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { Database, RootDatabase } from "lmdb";
import { storeFileProblem } from "./store-check.js";

/** One stored answer: when it was stored, and the reply as the call path returns it. */
export interface StoredEntry {
  /** Created, ms since the epoch (for `--cache-ttl` and `cache clear --older-than`). */
  c: number;
  r: unknown;
}

/** What `llmbatch cache stats` shows. */
export interface CacheStoreStats {
  entries: number;
  /** Bytes the entries and their LRU index take inside the store (what `--cache-max-size` bounds). */
  used_bytes: number;
  /** The store's file size on disk (LMDB reuses freed pages, it does not shrink its file). */
  file_bytes: number;
  /** Per UTC day, oldest first, as far as the store kept them. */
  by_day: { day: string; hits: number; misses: number }[];
}

/** An entry's last use is written again only when it is older than this: LRU by the second, not a write per hit. */
const TOUCH_GRANULARITY_MS = 1000;

type Key = string;

export class LmdbCacheStore {
  readonly dir: string;
  readonly #root: RootDatabase;
  readonly #entries: Database<StoredEntry, Key>;
  readonly #atime: Database<number, Key>;
  readonly #lru: Database<true, [number, Key]>;
  readonly #meta: Database<{ hits: number; misses: number }, [string, string]>;

  private constructor(dir: string, root: RootDatabase) {
    this.dir = dir;
    this.#root = root;
    this.#entries = root.openDB<StoredEntry, Key>("entries", { encoding: "msgpack" });
    this.#atime = root.openDB<number, Key>("atime", { encoding: "ordered-binary" });
    this.#lru = root.openDB<true, [number, Key]>("lru", { encoding: "ordered-binary" });
    this.#meta = root.openDB<{ hits: number; misses: number }, [string, string]>("meta", { encoding: "msgpack" });
  }

  /** Opens (creating it when missing) the store in `dir`. @throws when it cannot be opened or read */
  static async open(dir: string): Promise<LmdbCacheStore> {
    mkdirSync(dir, { recursive: true });
    const problem = storeFileProblem(dir);
    if (problem !== undefined) throw new Error(problem);
    const { open } = await import("lmdb");
    // `noSubdir: false`: the directory holds data.mdb and lock.mdb, whatever its name looks like.
    const root = open({ path: dir, noSubdir: false, maxDbs: 8, useWritemap: false, noSync: false, compression: false });
    try {
      const store = new LmdbCacheStore(dir, root);
      // Read something now: a store that opens but cannot be read fails here, before the run.
      store.#entries.getStats();
      store.#lru.getKeys({ limit: 1 }).asArray;
      return store;
    } catch (err) {
      await root.close().catch(() => undefined);
      throw err;
    }
  }

  get(key: Key): StoredEntry | undefined {
    return this.#entries.get(key);
  }

  /** Stores an answer (replacing one under the same key); settles when committed. */
  put(key: Key, entry: StoredEntry, now: number): Promise<unknown> {
    const old = this.#atime.get(key);
    if (old !== undefined) void this.#lru.remove([old, key]);
    void this.#atime.put(key, now);
    void this.#lru.put([now, key], true);
    // The same event turn: one transaction with the three writes above (lmdb-js eventTurnBatching).
    return this.#entries.put(key, entry);
  }

  /** Notes a use of `key` for LRU eviction; skipped when its last use is recent. */
  touch(key: Key, now: number): void {
    const old = this.#atime.get(key);
    if (old !== undefined && now - old < TOUCH_GRANULARITY_MS) return;
    if (old !== undefined) void this.#lru.remove([old, key]);
    void this.#atime.put(key, now);
    void this.#lru.put([now, key], true);
  }

  /** Bytes the entries and the index take (pages in use), across every process writing to the store. */
  usedBytes(): number {
    return pagesBytes(this.#entries) + pagesBytes(this.#atime) + pagesBytes(this.#lru);
  }

  /**
   * Removes least-recently-used entries until about `bytes` are freed. An index line whose entry
   * was used since (or removed by another process) is only dropped. Streams the index: memory does
   * not grow with the store.
   */
  async evict(bytes: number): Promise<number> {
    const count = entryCount(this.#entries);
    if (count === 0) return 0;
    const perEntry = Math.max(1, this.usedBytes() / count);
    let want = Math.ceil(bytes / perEntry);
    let removed = 0;
    let last: Promise<unknown> = Promise.resolve();
    for (const [time, key] of this.#lru.getKeys({ snapshot: false })) {
      if (want <= 0) break;
      void this.#lru.remove([time, key]);
      if (this.#atime.get(key) !== time) continue;
      void this.#atime.remove(key);
      last = this.#entries.remove(key);
      removed++;
      want--;
    }
    await last;
    return removed;
  }

  /** Removes every entry stored before `cutoffMs` (all of them when undefined); returns how many. */
  async clear(cutoffMs?: number): Promise<number> {
    if (cutoffMs === undefined) {
      const n = entryCount(this.#entries);
      await Promise.all([this.#entries.clearAsync(), this.#atime.clearAsync(), this.#lru.clearAsync(), this.#meta.clearAsync()]);
      return n;
    }
    let removed = 0;
    let last: Promise<unknown> = Promise.resolve();
    for (const { key, value } of this.#entries.getRange({ snapshot: false })) {
      if (value.c >= cutoffMs) continue;
      const time = this.#atime.get(key);
      if (time !== undefined) void this.#lru.remove([time, key]);
      void this.#atime.remove(key);
      last = this.#entries.remove(key);
      removed++;
    }
    await last;
    return removed;
  }

  /** Adds this process's hits and misses to the day's counts (one transaction: other processes add theirs too). */
  addCounts(day: string, hits: number, misses: number): Promise<unknown> {
    if (hits === 0 && misses === 0) return Promise.resolve();
    return this.#root.transaction(() => {
      const old = this.#meta.get(["day", day]) ?? { hits: 0, misses: 0 };
      return this.#meta.put(["day", day], { hits: old.hits + hits, misses: old.misses + misses });
    });
  }

  stats(): CacheStoreStats {
    const by_day: CacheStoreStats["by_day"] = [];
    for (const { key, value } of this.#meta.getRange({ start: ["day", ""], end: ["day", "\uffff"] })) by_day.push({ day: key[1], ...value });
    let file_bytes = 0;
    try {
      file_bytes = statSync(join(this.dir, "data.mdb")).size;
    } catch {
      file_bytes = 0; // never written yet
    }
    return { entries: entryCount(this.#entries), used_bytes: this.usedBytes(), file_bytes, by_day };
  }

  /** Waits for every pending write to be committed. */
  flushed(): Promise<unknown> {
    return this.#root.committed;
  }

  async close(): Promise<void> {
    await this.#root.close();
  }
}

interface DbStats {
  pageSize: number;
  treeBranchPageCount: number;
  treeLeafPageCount: number;
  overflowPages: number;
  entryCount: number;
}

// biome-ignore lint/suspicious/noExplicitAny: lmdb-js types getStats() as {}; any database of the store
type AnyDb = Database<any, any>;

function entryCount(db: AnyDb): number {
  return (db.getStats() as DbStats).entryCount;
}

function pagesBytes(db: AnyDb): number {
  const s = db.getStats() as DbStats;
  return (s.treeBranchPageCount + s.treeLeafPageCount + s.overflowPages) * s.pageSize;
}
