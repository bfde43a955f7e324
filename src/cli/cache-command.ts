/**
 * `llmbatch cache stats|clear`: what the response cache holds (entries, size, hits and misses per
 * day) and emptying it, all of it or the entries older than `--older-than`.
 */
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { defaultCacheDir, parseDuration } from "../cache/cache-options.js";
import { UsageError } from "../errors.js";
import { groupDigits } from "../metrics/number-format.js";
import { EXIT } from "../run/exit-codes.js";
import type { CliIO } from "./main.js";
import type { Logger } from "./logger.js";

export interface CacheFlags {
  cacheDir?: string;
  json?: boolean;
  olderThan?: string;
}

const STORE_FILES = ["data.mdb", "lock.mdb"];

export async function cacheStatsCommand(flags: CacheFlags, io: CliIO, log: Logger): Promise<number> {
  const dir = flags.cacheDir ?? defaultCacheDir(io.env);
  let stats = { dir, entries: 0, used_bytes: 0, file_bytes: 0, by_day: [] as { day: string; hits: number; misses: number }[] };
  if (existsSync(join(dir, "data.mdb"))) {
    const store = await openStore(dir);
    try {
      stats = { dir, ...store.stats() };
    } finally {
      await store.close();
    }
  }
  if (flags.json) {
    io.stdout.write(`${JSON.stringify(stats)}\n`);
    return EXIT.ok;
  }
  const hits = stats.by_day.reduce((n, d) => n + d.hits, 0);
  const misses = stats.by_day.reduce((n, d) => n + d.misses, 0);
  const lines = [
    `cache     ${dir}`,
    `entries   ${groupDigits(stats.entries)}`,
    `size      ${mb(stats.used_bytes)} in use, ${mb(stats.file_bytes)} on disk`,
    `lookups   ${groupDigits(hits)} hits, ${groupDigits(misses)} misses${stats.by_day.length > 0 ? ` since ${stats.by_day[0]!.day}` : ""}`,
    ...stats.by_day.slice(-14).map((d) => `  ${d.day}  ${groupDigits(d.hits)} hits, ${groupDigits(d.misses)} misses`),
  ];
  log.stream.write(`${lines.join("\n")}\n`);
  return EXIT.ok;
}

export async function cacheClearCommand(flags: CacheFlags, io: CliIO, log: Logger): Promise<number> {
  const dir = flags.cacheDir ?? defaultCacheDir(io.env);
  const olderThanMs = flags.olderThan === undefined ? undefined : parseDuration("--older-than", flags.olderThan);
  if (!existsSync(join(dir, "data.mdb"))) {
    log.info(`${dir}: no cache there, nothing to clear`);
    return EXIT.ok;
  }
  const { LmdbCacheStore } = await import("../cache/lmdb-store.js");
  let store: Awaited<ReturnType<typeof LmdbCacheStore.open>>;
  try {
    store = await LmdbCacheStore.open(dir);
  } catch (err) {
    // A store that cannot be opened cannot be cleared entry by entry: its files go, and a run makes new ones.
    if (olderThanMs !== undefined) throw unreadable(dir, err);
    for (const file of STORE_FILES) rmSync(join(dir, file), { force: true });
    log.warn(`${dir}: the cache could not be read (${(err as Error).message}); its files were removed`);
    return EXIT.ok;
  }
  try {
    const removed = await store.clear(olderThanMs === undefined ? undefined : Date.now() - olderThanMs);
    log.info(`${dir}: removed ${groupDigits(removed)} entr${removed === 1 ? "y" : "ies"}${flags.olderThan === undefined ? "" : ` older than ${flags.olderThan}`}`);
  } finally {
    await store.close();
  }
  return EXIT.ok;
}

async function openStore(dir: string) {
  const { LmdbCacheStore } = await import("../cache/lmdb-store.js");
  try {
    return await LmdbCacheStore.open(dir);
  } catch (err) {
    throw unreadable(dir, err);
  }
}

function unreadable(dir: string, err: unknown): UsageError {
  return new UsageError(`cannot read the cache in ${dir} (${(err as Error).message}); \`llmbatch cache clear --cache-dir ${dir}\` removes it`);
}

function mb(bytes: number): string {
  return bytes < 1e6 ? `${groupDigits(Math.round(bytes / 1e3))} kB` : `${groupDigits(Math.round(bytes / 1e6))} MB`;
}
