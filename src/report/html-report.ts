/**
 * `--report file.html`: one self-contained page (inline SVG and CSS, no script, no network) with
 * throughput and tokens per minute over time, the waits, the errors and the cost of a run.
 */
import type { LiveLine } from "../metrics/live-metrics.js";
import type { RunSummary } from "../metrics/summary.js";
import { barChart, escapeHtml, lineChart, type Series } from "./svg-charts.js";

export interface ReportInput {
  summary: RunSummary;
  /** Samples over the run, oldest first (the `--metrics-file` lines). */
  points: readonly LiveLine[];
  /** What was run, shown as the heading (input and pipeline names). */
  title: string;
}

/** Samples closer than this are merged for rates: the final sample can come milliseconds after the last tick. */
const MIN_SPAN_S = 0.2;

/** Per-minute rates between samples, from their cumulative counters. */
function rates(points: readonly LiveLine[], pick: (p: LiveLine) => number): [number, number][] {
  const kept: LiveLine[] = [];
  for (const p of points) {
    const prev = kept[kept.length - 1];
    if (prev === undefined || p.elapsed_s - prev.elapsed_s >= MIN_SPAN_S) kept.push(p);
    else if (p === points[points.length - 1] && kept.length > 1) kept[kept.length - 1] = p;
  }
  const out: [number, number][] = [];
  for (let i = 1; i < kept.length; i++) {
    const a = kept[i - 1]!;
    const b = kept[i]!;
    out.push([b.elapsed_s, ((pick(b) - pick(a)) * 60) / (b.elapsed_s - a.elapsed_s)]);
  }
  return out;
}

/** Every attempt sent, and what the stop left: results with no line, requests in flight, bills unknown. */
function attemptsFact(s: RunSummary): string {
  const parts = [String(s.attempts)];
  if (s.in_flight_at_stop !== null) parts.push(`${s.in_flight_at_stop} in flight when the run stopped`);
  if (s.unwritten) parts.push(`${s.unwritten} results counted but not written (output closed)`);
  if (s.cost_unknown.attempts) parts.push(`${s.cost_unknown.attempts} without an answer: up to $${s.cost_unknown.worst_case_usd} not in the cost`);
  return parts.join(" · ");
}

export function renderReport({ summary: s, points, title }: ReportInput): string {
  const throughput: Series[] = [{ name: "requests/min", color: "#2b6cb0", points: rates(points, (p) => p.requests) }, { name: "records done/min", color: "#38a169", points: rates(points, (p) => p.records_done) }];
  const tokens: Series[] = [{ name: "tokens/min", color: "#b7791f", points: rates(points, (p) => p.tokens) }];
  const cost: Series[] = [{ name: "cost so far (USD)", color: "#c53030", points: points.map((p) => [p.elapsed_s, p.cost_usd]) }];
  if (s.budget) cost.push({ name: "budget (USD)", color: "#718096", points: points.map((p) => [p.elapsed_s, s.budget!.max_cost_usd]) });
  const w = s.wait_ms;
  const waits: [string, number][] = [["rpm gate", w.rpm_ms], ["tpm gate", w.tpm_ms], ["budget gate", w.budget_ms], ["retry backoff", w.retry_ms]];
  const errors = Object.entries(s.errors_by_type).map(([k, v]) => [k, v ?? 0] as [string, number]);
  const byModel = Object.entries(s.cost_by_model);
  const facts: [string, string][] = [
    ["records", `${s.records} (ok ${s.ok}, failed ${s.failed}, not attempted ${s.not_attempted})`],
    ["attempts", attemptsFact(s)],
    ...(s.truncated ? [["truncated", `${s.truncated} answers cut off at max_tokens (finish_reason: length)`] as [string, string]] : []),
    ["tokens", `${s.usage.input_tokens} in (${s.usage.cached_tokens} cached), ${s.usage.output_tokens} out`],
    ["cost", `$${s.cost_usd}${s.unpriced_models.length ? ` · unpriced: ${s.unpriced_models.join(", ")}` : ""}${s.budget ? ` · budget $${s.budget.max_cost_usd}${s.budget.exhausted ? " (reached)" : ""}` : ""}`],
    ["latency", `p50 ${s.latency_ms.p50} ms · p90 ${s.latency_ms.p90} ms · p99 ${s.latency_ms.p99} ms · max ${s.latency_ms.max} ms`],
    ["waits", `gates ${w.gates_ms} ms (client side) · retry backoff ${w.retry_ms} ms (server side)`],
    ["wall time", `${(s.wall_ms / 1000).toFixed(1)} s · ${s.throughput_rpm} records/min · exit code ${s.exit_code}${s.stopped_reason ? ` · ${s.stopped_reason}` : ""}`],
  ];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>llmbatch report: ${escapeHtml(title)}</title>
<style>body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#1a202c;max-width:1340px}h1{font-size:20px}table{border-collapse:collapse;margin-bottom:16px}td{padding:2px 12px 2px 0;vertical-align:top}td:first-child{color:#4a5568}.charts{display:flex;flex-wrap:wrap;gap:16px}figure{margin:0;border:1px solid #e2e8f0;padding:8px}figcaption{font-weight:600;margin-bottom:4px}</style>
</head><body>
<h1>llmbatch report: ${escapeHtml(title)}</h1>
<p>${escapeHtml(s.started_at)} → ${escapeHtml(s.finished_at)}</p>
<table id="facts">${facts.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
<div class="charts">
${lineChart("chart-throughput", "Throughput over time", "seconds", throughput)}
${lineChart("chart-tokens", "Tokens per minute over time", "seconds", tokens)}
${barChart("chart-waits", "Waiting time: client-side gates vs server-side retry backoff", waits, "ms")}
${barChart("chart-errors", "Failed records by error type", errors, "records")}
${lineChart("chart-cost", "Cost over time", "seconds", cost)}
${barChart("chart-cost-by-model", "Cost by model", byModel, "USD")}
</div>
</body></html>
`;
}
