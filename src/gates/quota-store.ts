/**
 * Where the state of the quotas lives: the seam a run's quotas are built on, modelled on p-queue's
 * `queueClass` (a small structural interface the caller may replace). A quota is what a provider
 * limits (see `Provider.quotaScope`), named here by its `key`; each has an RPM and a TPM bucket,
 * limits learned from the server's headers and a pause after a 429.
 *
 * The store says yes or "wait this long"; the waiting itself (in arrival order, abortable, one
 * timer) is `Quota`'s, in the process that waits. Every method may answer with a promise, so a
 * store shared across processes (Redis) fits behind the same interface; the in-memory store
 * (`MemoryQuotaStore`, the default) answers synchronously and its callers do not await it.
 */
import type { RateLimitInfo } from "../types.js";

/** Per-minute limits told for a quota (`--rpm`/`--tpm`, a pipeline's or a step's `limits:`). Absent: not limited by us. */
export interface QuotaLimits {
  rpm?: number | undefined;
  tpm?: number | undefined;
}

/**
 * The answer to `take`: both taken, or neither (with how long until both may fit, and which
 * bucket holds the request back), or never (a request larger than the whole TPM limit).
 */
export type TakeResult = { readonly taken: true } | { readonly taken: false; readonly waitMs: number; readonly blockedBy: "rpm" | "tpm" } | { readonly taken: false; readonly refused: Error };

/** What a quota stands at, for the summary, the live metrics and the report. */
export interface QuotaGauges {
  /** Limits in force (the lower of the told and the learned one); undefined = unlimited. */
  rpm: number | undefined;
  tpm: number | undefined;
  /** Whether the limit in force is the one the server reported. */
  rpmLearned: boolean;
  tpmLearned: boolean;
  /** What the buckets could admit now (negative = debt); Infinity when unlimited. */
  rpmAvailable: number;
  tpmAvailable: number;
}

/** A value or a promise of it: the in-memory store answers at once, a shared one may not. */
export type MaybePromise<T> = T | Promise<T>;

export interface QuotaStore {
  /** Sets the told limits of quota `key` before its first `take` (again: the lower applies). */
  define(key: string, limits: QuotaLimits): MaybePromise<void>;
  /** Takes one request and `tokens` from quota `key`, both or neither. */
  take(key: string, tokens: number): MaybePromise<TakeResult>;
  /**
   * Settles a taken request: `reserved` tokens were taken, `used` is what the server counted
   * (the difference is given back or charged); `used` undefined gives all of them back (the request
   * never counted at the server).
   */
  settle(key: string, reserved: number, used: number | undefined): MaybePromise<void>;
  /** A 429: nothing under `key` is taken until `ms` from now (a longer pause in force stays). */
  pause(key: string, ms: number): MaybePromise<void>;
  /** Reads the server's `x-ratelimit-*` headers of a reply under `key` (limits, remaining). */
  observe(key: string, info: RateLimitInfo): MaybePromise<void>;
  /** Where quota `key` stands now. Synchronous: read for display, it may be a local copy. */
  gauges(key: string): QuotaGauges;
}

/** Whether a store's answer is still to come (only then is it awaited). */
export function isPromise<T>(value: MaybePromise<T>): value is Promise<T> {
  return typeof (value as { then?: unknown } | null)?.then === "function";
}
