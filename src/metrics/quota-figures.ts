/**
 * Per-quota figures, beside the run's totals: for each quota (what a provider limits: an OpenAI
 * model on an endpoint and key, an Ollama server) the limits in force and whether they were
 * learned from the server, and what the run sent under it. The same shape in the summary
 * (`quotas`), the `--metrics-file` lines and the report.
 */
import type { QuotaCounters } from "../gates/quota.js";
import type { Quotas } from "../gates/quotas.js";

/** `QuotaCounters` (requests, tokens, waits by bucket, 429s) with the quota's name and its limits. */
export interface QuotaFigure extends QuotaCounters {
  /** The quota, for people: model and endpoint, the API key only as a short hash. */
  quota: string;
  /** Limits in force at the time (null: unlimited), and whether each is the one the server reported. */
  rpm_limit: number | null;
  rpm_learned: boolean;
  tpm_limit: number | null;
  tpm_learned: boolean;
}

/** Every quota the run used, in order of first use. */
export function quotaFigures(quotas: Quotas): QuotaFigure[] {
  return quotas.list().map((q) => {
    const g = q.gauges();
    const c = q.counters;
    return {
      quota: q.label,
      rpm_limit: g.rpm ?? null,
      rpm_learned: g.rpmLearned,
      tpm_limit: g.tpm ?? null,
      tpm_learned: g.tpmLearned,
      ...c,
      rpm_wait_ms: Math.round(c.rpm_wait_ms),
      tpm_wait_ms: Math.round(c.tpm_wait_ms),
    };
  });
}

/** One quota in words: `gpt-4o (api.openai.com, key 3f2a9c): 1,500 requests, 120,000 tokens · limits 3,000 RPM (learned), 150,000 TPM · waits rpm 12 (340 ms), tpm 0 · 0 × 429`. */
export function describeQuota(f: QuotaFigure, n: (x: number) => string = String): string {
  const limit = (v: number | null, learned: boolean, unit: string) => (v === null ? `no ${unit}` : `${n(v)} ${unit}${learned ? " (learned)" : ""}`);
  const waits = `rpm ${n(f.rpm_waits)} (${n(f.rpm_wait_ms)} ms), tpm ${n(f.tpm_waits)} (${n(f.tpm_wait_ms)} ms)`;
  return `${f.quota}: ${n(f.requests)} requests, ${n(f.tokens)} tokens · limits ${limit(f.rpm_limit, f.rpm_learned, "RPM")}, ${limit(f.tpm_limit, f.tpm_learned, "TPM")} · waits ${waits} · ${n(f.rate_limited)} × 429`;
}
