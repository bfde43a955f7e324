/**
 * Per-quota figures, beside the run's totals: for each quota (what a provider limits: an OpenAI
 * model on an endpoint and key, an Ollama server) the limits in force and whether they were
 * learned from the server, and what the run sent under it. The same shape in the summary
 * (`quotas`), the `--metrics-file` lines and the report.
 */
import type { QuotaCounters } from "../gates/quota.js";
import type { QuotaStore } from "../gates/quota-store.js";
import type { Quotas } from "../gates/quotas.js";

/** This process's part of a shared quota's traffic, against what every process sharing it sent. */
export interface QuotaShareFigure {
  /** Requests and tokens this process sent under the quota (as the shared store counted them). */
  requests: number;
  tokens: number;
  /** Requests and tokens every process sharing the quota sent (this one included). */
  all_requests: number;
  all_tokens: number;
}

/** Where the quotas' buckets lived: `{kind: "redis", url}` (password masked) when shared. */
export interface QuotaStoreSummary {
  kind: "redis";
  /** The Redis URL with its password masked. */
  url: string;
}

/** A store shared across processes, as the figures read it (the Redis store has this shape). */
interface SharedStore {
  readonly url: string;
  share(key: string): { requests: number; tokens: number; allRequests: number; allTokens: number } | undefined;
}

function sharedStore(store: QuotaStore): SharedStore | undefined {
  const s = store as Partial<SharedStore>;
  return typeof s.url === "string" && typeof s.share === "function" ? (s as SharedStore) : undefined;
}

/** The summary's `quota_store`: the shared store's kind and masked URL; undefined for the in-memory one. */
export function quotaStoreSummary(store: QuotaStore): QuotaStoreSummary | undefined {
  const shared = sharedStore(store);
  return shared && { kind: "redis", url: shared.url };
}

/** `QuotaCounters` (requests, tokens, waits by bucket, 429s) with the quota's name and its limits. */
export interface QuotaFigure extends QuotaCounters {
  /** The quota, for people: model and endpoint, the API key only as a short hash. */
  quota: string;
  /** Limits in force at the time (null: unlimited), and whether each is the one the server reported. */
  rpm_limit: number | null;
  rpm_learned: boolean;
  tpm_limit: number | null;
  tpm_learned: boolean;
  /** With a shared store (`--redis`): this process's share of the quota's traffic. */
  share?: QuotaShareFigure;
}

/** Every quota the run used, in order of first use. */
export function quotaFigures(quotas: Quotas): QuotaFigure[] {
  const shared = sharedStore(quotas.store);
  return quotas.list().map((q) => {
    const g = q.gauges();
    const c = q.counters;
    const share = shared?.share(q.key);
    const figure: QuotaFigure = {
      quota: q.label,
      rpm_limit: g.rpm ?? null,
      rpm_learned: g.rpmLearned,
      tpm_limit: g.tpm ?? null,
      tpm_learned: g.tpmLearned,
      ...c,
      rpm_wait_ms: Math.round(c.rpm_wait_ms),
      tpm_wait_ms: Math.round(c.tpm_wait_ms),
    };
    if (share) figure.share = { requests: share.requests, tokens: share.tokens, all_requests: share.allRequests, all_tokens: share.allTokens };
    return figure;
  });
}

/** One quota in words: `gpt-4o (api.openai.com, key 3f2a9c): 1,500 requests, 120,000 tokens · limits 3,000 RPM (learned), 150,000 TPM · waits rpm 12 (340 ms), tpm 0 · 0 × 429`. */
export function describeQuota(f: QuotaFigure, n: (x: number) => string = String): string {
  const limit = (v: number | null, learned: boolean, unit: string) => (v === null ? `no ${unit}` : `${n(v)} ${unit}${learned ? " (learned)" : ""}`);
  const waits = `rpm ${n(f.rpm_waits)} (${n(f.rpm_wait_ms)} ms), tpm ${n(f.tpm_waits)} (${n(f.tpm_wait_ms)} ms)`;
  return `${f.quota}: ${n(f.requests)} requests, ${n(f.tokens)} tokens · limits ${limit(f.rpm_limit, f.rpm_learned, "RPM")}, ${limit(f.tpm_limit, f.tpm_learned, "TPM")} · waits ${waits} · ${n(f.rate_limited)} × 429${f.share ? ` · ${describeShare(f.share, n)}` : ""}`;
}

/** `shared: this process 312 of 1,204 requests (25.9%), 9,360 of 36,120 tokens (25.9%)`. */
export function describeShare(s: QuotaShareFigure, n: (x: number) => string = String): string {
  const part = (own: number, all: number) => `${n(own)} of ${n(all)}${all > 0 ? ` (${((100 * own) / all).toFixed(1)}%)` : ""}`;
  return `shared: this process ${part(s.requests, s.all_requests)} requests, ${part(s.tokens, s.all_tokens)} tokens`;
}

/** `redis redis://:***@queue-host:6379 (shared with every llmbatch process naming it)`. */
export function describeQuotaStore(q: QuotaStoreSummary): string {
  return `${q.kind} ${q.url} (quotas shared with every llmbatch process naming it)`;
}
