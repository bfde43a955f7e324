import { describeCache, describeCost, formatUsd, pricedCosts } from "../metrics/cost-text.js";
import type { RunSummary } from "../metrics/summary.js";
import { groupDigits } from "../metrics/number-format.js";
import { describeQuota, describeQuotaStore } from "../metrics/quota-figures.js";

/** The human summary printed on stderr at the end of a run; the same figures as `--summary`. */
export function formatSummary(s: RunSummary, opts: { color?: boolean } = {}): string {
  const bold = (t: string) => (opts.color ? `\u001b[1m${t}\u001b[0m` : t);
  const n = groupDigits;
  const ms = (v: number) => (v >= 10_000 ? `${(v / 1000).toFixed(1)} s` : `${Math.round(v)} ms`);
  const b = s.backoff;
  const rows: [string, string][] = [
    [
      "records",
      `${n(s.records)}  (ok ${n(s.ok)}, failed ${n(s.failed)}, not attempted ${n(s.not_attempted)})${s.skipped ? `; ${n(s.skipped)} already done, skipped` : ""}${s.unwritten ? `; ${n(s.unwritten)} counted but not written (output closed)` : ""}`,
    ],
    ["tokens", `${n(s.usage.input_tokens)} in (${n(s.usage.cached_tokens)} cached), ${n(s.usage.output_tokens)} out`],
    [
      "cost",
      `${describeCost(s)}${costByModel(s)}${s.cost_unknown.attempts ? `  · unknown: ${n(s.cost_unknown.attempts)} attempts without an answer, up to ${formatUsd(s.cost_unknown.worst_case_usd)} more` : ""}`,
    ],
    ...(s.cache ? [["cache", describeCache(s)!] as [string, string]] : []),
    [
      "gate waits",
      `rpm ${n(b.rpm_waits)} (${ms(b.rpm_wait_ms)}), tpm ${n(b.tpm_waits)} (${ms(b.tpm_wait_ms)})${b.budget_waits !== undefined ? `, budget ${n(b.budget_waits)} (${ms(b.budget_wait_ms ?? 0)})` : ""}`,
    ],
    ["retries", `${n(b.retries)} (${ms(b.retry_wait_ms)} backing off), ${n(s.attempts)} attempts in all`],
    ...(s.truncated ? [["truncated", `${n(s.truncated)} answers cut off at max_tokens${truncatedBySteps(s)}`] as [string, string]] : []),
    [
      "errors",
      Object.keys(s.errors_by_type).length
        ? Object.entries(s.errors_by_type)
            .map(([k, v]) => `${k} ${n(v)}`)
            .join(", ")
        : "none",
    ],
    ["latency", `p50 ${ms(s.latency_ms.p50)} · p90 ${ms(s.latency_ms.p90)} · p99 ${ms(s.latency_ms.p99)} · max ${ms(s.latency_ms.max)}`],
    ...(s.budget
      ? [
          [
            "budget",
            `${formatUsd(s.budget.spent_usd)} of ${formatUsd(s.budget.max_cost_usd)} charged${s.budget.spent_before_usd ? ` (${formatUsd(s.budget.spent_before_usd)} by earlier runs on this results file)` : ""}${s.budget.exhausted ? " · reached: the rest were not attempted" : ""}`,
          ] as [string, string],
        ]
      : []),
    ...s.quotas.map((q): [string, string] => ["quota", describeQuota(q, n)]),
    ...(s.quota_store ? [["quota store", describeQuotaStore(s.quota_store)] as [string, string]] : []),
    ...(s.batch
      ? [
          [
            "batch",
            `${n(s.batch.batches)} batch${s.batch.batches === 1 ? "" : "es"}, ${n(s.batch.requests)} requests${s.batch.resumed_batches ? ` (+${n(s.batch.resumed_batches)} from earlier runs collected)` : ""} · batch prices saved ${formatUsd(s.batch.saved_usd)} against synchronous ones${s.batch.unfinished ? ` · ${n(s.batch.unfinished)} still running: --resume collects` : ""}`,
          ] as [string, string],
        ]
      : []),
    ["wall time", `${ms(s.wall_ms)} · ${groupDigits(s.throughput_rpm)} records/min`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `  ${k.padEnd(width)}  ${v}`);
  return `${bold("llmbatch summary")}\n${lines.join("\n")}\n`;
}

/** ` (translate 2, summary 23)` when answers were cut off in more than one step. */
export function truncatedBySteps(s: RunSummary): string {
  const entries = Object.entries(s.truncated_by_step);
  return entries.length > 1 ? ` (${entries.map(([id, c]) => `${id} ${groupDigits(c)}`).join(", ")})` : "";
}

/** The split when more than one model has a price (the unpriced ones are named in the cost itself). */
function costByModel(s: RunSummary): string {
  const entries = pricedCosts(s);
  if (entries.length <= 1) return "";
  return `  (${entries.map(([m, c]) => `${m} ${formatUsd(c)}`).join(", ")})`;
}
