/**
 * `--report file.html`: one self-contained page with the run's figures and its charts (throughput,
 * records, tokens and cost over time; waits, errors and cost by model), drawn by Chart.js inlined
 * into the page, so it opens offline and fetches nothing.
 */
import { describeQuota, describeQuotaStore } from "../metrics/quota-figures.js";
import { describeCache, describeCost } from "../metrics/cost-text.js";
import type { LiveLine } from "../metrics/live-metrics.js";
import type { RunSummary } from "../metrics/summary.js";
import { chartLibrarySource } from "./chart-library.js";
import { chartSpecs, type ChartSpec } from "./chart-specs.js";
import { ERROR_HOOK, PAGE_SCRIPT } from "./page-script.js";

export interface ReportInput {
  summary: RunSummary;
  /** Samples over the run, oldest first (the `--metrics-file` lines). */
  points: readonly LiveLine[];
  /** What was run, shown as the heading (input and pipeline names). */
  title: string;
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** JSON inside `<script type="application/json">`: a `<` in a model name or title must not end the block. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c");
}

const STYLE = `body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;padding:0 24px;color:#1a202c;max-width:1600px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:0 0 2px}
table{border-collapse:collapse;margin:12px 0 20px}td{padding:2px 16px 2px 0;vertical-align:top}td:first-child{color:#4a5568;white-space:nowrap}
section.chart{border:1px solid #e2e8f0;border-radius:4px;padding:12px 16px;margin:0 0 16px}
.note{color:#4a5568;margin:0 0 8px;font-size:13px}.plot{position:relative;width:100%}.empty{color:#4a5568;font-style:italic;margin:4px 0}`;

function chartSection(c: ChartSpec): string {
  const note = c.note ? `<p class="note">${escapeHtml(c.note)}</p>` : "";
  const body = c.empty
    ? `<p class="empty" id="${c.id}-empty">${escapeHtml(c.empty)}</p>`
    : `<div class="plot" style="height:${c.height}px"><canvas id="${c.id}" role="img" aria-label="${escapeHtml(c.title)}"></canvas></div>`;
  return `<section class="chart"><h2>${escapeHtml(c.title)}</h2>${note}${body}</section>`;
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
  const w = s.wait_ms;
  const facts: [string, string][] = [
    ["records", `${s.records} (ok ${s.ok}, failed ${s.failed}, not attempted ${s.not_attempted})`],
    ["attempts", attemptsFact(s)],
    ...(s.truncated ? [["truncated", `${s.truncated} answers cut off at max_tokens (finish_reason: length)`] as [string, string]] : []),
    ["tokens", `${s.usage.input_tokens} in (${s.usage.cached_tokens} cached), ${s.usage.output_tokens} out`],
    ["cost", `${describeCost(s)}${s.budget ? ` · budget $${s.budget.max_cost_usd}${s.budget.exhausted ? " (reached)" : ""}` : ""}`],
    ...(s.cache ? [["cache", describeCache(s)!] as [string, string]] : []),
    ["latency", `p50 ${s.latency_ms.p50} ms · p90 ${s.latency_ms.p90} ms · p99 ${s.latency_ms.p99} ms · max ${s.latency_ms.max} ms`],
    ["waits", `gates ${w.gates_ms} ms (client side) · retry backoff ${w.retry_ms} ms (server side)`],
    ...s.quotas.map((q): [string, string] => ["quota", describeQuota(q)]),
    ...(s.quota_store ? [["quota store", describeQuotaStore(s.quota_store)] as [string, string]] : []),
    ["wall time", `${(s.wall_ms / 1000).toFixed(1)} s · ${s.throughput_rpm} records/min · exit code ${s.exit_code}${s.stopped_reason ? ` · ${s.stopped_reason}` : ""}`],
  ];
  const specs = chartSpecs(s, points);
  const drawn = specs.filter((c) => !c.empty).map(({ id, title: t, format, config }) => ({ id, title: t, format, config }));
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>llmbatch report: ${escapeHtml(title)}</title>
<style>${STYLE}</style>
<script>${ERROR_HOOK}</script>
</head><body>
<h1>llmbatch report: ${escapeHtml(title)}</h1>
<p>${escapeHtml(s.started_at)} → ${escapeHtml(s.finished_at)}</p>
<table id="facts">${facts.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join("")}</table>
${specs.map(chartSection).join("\n")}
<script>${chartLibrarySource()}</script>
<script type="application/json" id="report-data">${scriptJson(drawn)}</script>
<script>${PAGE_SCRIPT}</script>
</body></html>
`;
}
