/**
 * Redis key names of a shared quota. A quota's key (`Provider.quotaScope`) holds the endpoint and
 * a 12-hex hash of the API key, never the key itself; Redis sees less still: a hash of the whole
 * quota key, so neither an endpoint nor a model name is written there.
 *
 * All keys of one quota share the hash tag `{<hash>}`, so they map to one slot and the quota's
 * script runs on Redis Cluster too (without it: CROSSSLOT, bottleneck's issue 180).
 */
import { createHash } from "node:crypto";

/** Enough that two quotas of one Redis never collide in practice. */
const QUOTA_HASH_CHARS = 16;

/** The keys the script reads, in its KEYS order. */
export type QuotaKeys = readonly [state: string, processes: string, tickets: string, ticketInfo: string, reservations: string];

/** The keys of quota `quotaKey` under `prefix` (default `llmbatch`). */
export function quotaKeys(quotaKey: string, prefix = "llmbatch"): QuotaKeys {
  const tag = `{${createHash("sha256").update(quotaKey).digest("hex").slice(0, QUOTA_HASH_CHARS)}}`;
  const base = `${prefix}:quota:${tag}`;
  return [`${base}:state`, `${base}:procs`, `${base}:tickets`, `${base}:ticket-info`, `${base}:held`];
}
