/**
 * The response cache's settings (`--cache`, `--cache-dir`, `--cache-max-size`, `--cache-ttl`, or a
 * program's `cache: true | {…}`), their parsers, and opening the cache: a cache that cannot be
 * opened is one warning and a run without it, never a failed run.
 */
import { homedir } from "node:os";
import { join } from "node:path";
import { UsageError } from "../errors.js";
import { ResponseCache } from "./response-cache.js";

export interface CacheOptions {
  /** The cache directory. @default `$XDG_CACHE_HOME/llmbatch` (CLI), else `~/.cache/llmbatch` */
  dir?: string | undefined;
  /** Bytes the entries may take, or a size such as `"2GB"`, `"500MB"`; least-recently-used entries go beyond it. @default "2GB" */
  maxSize?: number | string | undefined;
  /** Entries older than this are not used: ms, or a duration such as `"30d"`, `"12h"`. @default no limit */
  ttl?: number | string | undefined;
}

/** `cache:` of runBatch, runPipeline and BaseLLMService: on with the defaults, off, or settings. */
export type CacheSetting = boolean | CacheOptions;

export const DEFAULT_CACHE_MAX_SIZE = "2GB";

const UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
const SIZE = /^([0-9]+(?:\.[0-9]+)?)\s*([a-z]*)$/i;

/** `2GB`, `500MB`, `1.5GiB`, `1048576` (bytes). @throws UsageError naming `name` and the value */
export function parseSize(name: string, raw: string | number): number {
  if (typeof raw === "number") {
    if (Number.isSafeInteger(raw) && raw > 0) return raw;
    throw new UsageError(`${name} must be a positive number of bytes, got ${String(raw)}`);
  }
  const m = SIZE.exec(raw.trim());
  const unit = m ? UNITS[(m[2] || "b").toLowerCase()] : undefined;
  const bytes = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  if (!(bytes > 0)) throw new UsageError(`${name} must be a size such as 2GB, 500MB or 1.5GiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got ${JSON.stringify(raw)}`);
  return bytes;
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };
const DURATION = /^([0-9]+(?:\.[0-9]+)?)\s*(ms|s|m|h|d|w)$/i;

/** `30d`, `12h`, `90m`, `45s`, `2w`; a number is ms. @throws UsageError naming `name` and the value */
export function parseDuration(name: string, raw: string | number): number {
  if (typeof raw === "number") {
    if (Number.isFinite(raw) && raw > 0) return raw;
    throw new UsageError(`${name} must be a positive number of milliseconds, got ${String(raw)}`);
  }
  const m = DURATION.exec(raw.trim());
  const ms = m ? Number(m[1]) * DURATION_UNITS[m[2]!.toLowerCase()]! : NaN;
  if (!(ms > 0)) throw new UsageError(`${name} must be a duration such as 30d, 12h, 90m or 45s (units ms, s, m, h, d, w), got ${JSON.stringify(raw)}`);
  return ms;
}

/**
 * The default cache directory: `$LLMBATCH_CACHE_DIR`, else `$XDG_CACHE_HOME/llmbatch`, else
 * `~/.cache/llmbatch`. The CLI passes its environment; a program that passes none gets `~/.cache/llmbatch`.
 */
export function defaultCacheDir(env: Record<string, string | undefined> = {}): string {
  if (env.LLMBATCH_CACHE_DIR) return env.LLMBATCH_CACHE_DIR;
  if (env.XDG_CACHE_HOME) return join(env.XDG_CACHE_HOME, "llmbatch");
  return join(homedir(), ".cache", "llmbatch");
}

/** Settings checked and with their defaults: what `openResponseCache` opens. */
export interface ResolvedCacheOptions {
  dir: string;
  maxSizeBytes: number;
  ttlMs?: number | undefined;
}

/** The setting checked, or undefined when the cache is off. @throws UsageError for a bad size or duration */
export function resolveCacheOptions(setting: CacheSetting | undefined): ResolvedCacheOptions | undefined {
  if (setting === undefined || setting === false) return undefined;
  const o: CacheOptions = setting === true ? {} : setting;
  const resolved: ResolvedCacheOptions = { dir: o.dir ?? defaultCacheDir(), maxSizeBytes: parseSize("cache.maxSize", o.maxSize ?? DEFAULT_CACHE_MAX_SIZE) };
  if (o.ttl !== undefined) resolved.ttlMs = parseDuration("cache.ttl", o.ttl);
  return resolved;
}

/**
 * Opens the cache. One that cannot be opened (a corrupt or unreadable directory, a file where the
 * directory should be) is one warning, and undefined: the run goes on without it.
 */
export async function openResponseCache(options: ResolvedCacheOptions, onWarning?: (message: string) => void): Promise<ResponseCache | undefined> {
  try {
    const { LmdbCacheStore } = await import("./lmdb-store.js");
    const store = await LmdbCacheStore.open(options.dir);
    return new ResponseCache(store, { maxSizeBytes: options.maxSizeBytes, ttlMs: options.ttlMs, onWarning });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    onWarning?.(`cannot open the cache in ${options.dir} (${message}); running without the cache`);
    return undefined;
  }
}
