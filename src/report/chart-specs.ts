/**
 * What each chart of the report shows, as Chart.js configurations (plain data: they travel to the
 * page as JSON). The page's own script adds what JSON cannot carry, the tick and tooltip formatters,
 * chosen by each chart's `format`.
 */
import type { ChartConfiguration, ChartDataset } from "chart.js";
import { pricedCosts } from "../metrics/cost-text.js";
import type { LiveLine } from "../metrics/live-metrics.js";
import type { RunSummary } from "../metrics/summary.js";
import { completed, cumulative, failedSent, rates, rateWindowS, type XY } from "./chart-series.js";

/** How a chart's values read: records or tokens, per-minute rates, dollars, milliseconds. */
export type ValueFormat = "count" | "rate" | "usd" | "ms";

export interface ChartSpec {
  /** The canvas's id (tests and readers find the chart by it). */
  id: string;
  title: string;
  /** A sentence under the title: what is counted, and what is left out. */
  note?: string;
  /** The value axis: y for charts over time, x for horizontal bars. */
  format: ValueFormat;
  /** Height of the plot in CSS pixels (bars grow with their number of rows). */
  height: number;
  /** Shown instead of a chart when there is nothing to draw. */
  empty?: string;
  config: ChartConfiguration;
}

const COLORS = { requests: "#2b6cb0", completed: "#2f855a", ok: "#2f855a", failed: "#c53030", unsent: "#a0aec0", tokens: "#b7791f", cost: "#c53030", budget: "#4a5568", bar: "#4a7bd0" };
const LINE_HEIGHT = 320;

export function chartSpecs(s: RunSummary, points: readonly LiveLine[]): ChartSpec[] {
  const window = rateWindowS(points);
  const averaged = `Per minute, each point averaged over the ${formatSeconds(window)} before it`;
  const last = points[points.length - 1];
  const unsent = last?.unsent ?? 0;
  const throughputNote = `${averaged}. Records that sent no request (refused by the budget, not attempted, invalid input${unsent > 0 ? `: ${unsent} in this run` : ""}) are not throughput: they are in "Records over time".`;
  const endS = last?.elapsed_s ?? 0;

  // The known spend: a model without a price has no cost to draw (the summary names it).
  const unpriced = s.unpriced_models.length > 0;
  const cost: ChartDataset<"line", XY[]>[] = [
    line(
      unpriced ? "cost so far (priced models)" : "cost so far",
      COLORS.cost,
      cumulative(points, (p) => p.priced_cost_usd),
    ),
  ];
  if (s.budget)
    cost.push({
      ...line(`budget ($${s.budget.max_cost_usd})`, COLORS.budget, [
        { x: 0, y: s.budget.max_cost_usd },
        { x: endS, y: s.budget.max_cost_usd },
      ]),
      borderDash: [6, 4],
    });

  const w = s.wait_ms;
  return [
    lineSpec("chart-throughput", "Throughput over time", throughputNote, "rate", endS, [
      line(
        "requests/min (attempts, retries included)",
        COLORS.requests,
        rates(points, (p) => p.requests, window),
      ),
      line("records completed/min", COLORS.completed, rates(points, completed, window)),
    ]),
    lineSpec("chart-records", "Records over time", "Cumulative: finished ok, failed after a request, and failed without one (budget_exceeded, not_attempted, invalid_input).", "count", endS, [
      line(
        "ok",
        COLORS.ok,
        cumulative(points, (p) => p.ok),
      ),
      line("failed", COLORS.failed, cumulative(points, failedSent)),
      line(
        "not sent",
        COLORS.unsent,
        cumulative(points, (p) => p.unsent),
      ),
    ]),
    lineSpec("chart-tokens", "Tokens over time", `Input and output tokens as the provider reported them. ${averaged}.`, "rate", endS, [
      line(
        "tokens/min",
        COLORS.tokens,
        rates(points, (p) => p.tokens, window),
      ),
    ]),
    lineSpec("chart-cost", "Cost over time", s.budget ? "Cost of the records finished so far, against the --max-cost budget." : "Cost of the records finished so far.", "usd", endS, cost),
    barSpec(
      "chart-waits",
      "Waiting time: client-side gates vs server-side retry backoff",
      "ms",
      [
        ["rpm gate", w.rpm_ms],
        ["tpm gate", w.tpm_ms],
        ["budget gate", w.budget_ms],
        ["retry backoff", w.retry_ms],
      ],
      "no waits",
    ),
    barSpec(
      "chart-errors",
      "Failed records by error type",
      "count",
      Object.entries(s.errors_by_type).map(([k, v]) => [k, v ?? 0]),
      "no failed records",
    ),
    barSpec("chart-cost-by-model", "Cost by model", "usd", pricedCosts(s), "no priced model was used"),
  ];
}

function line(label: string, color: string, data: XY[]): ChartDataset<"line", XY[]> {
  return { label, data, borderColor: color, backgroundColor: color, borderWidth: 2, pointRadius: 0, pointHitRadius: 6 };
}

function lineSpec(id: string, title: string, note: string, format: ValueFormat, endS: number, datasets: ChartDataset<"line", XY[]>[]): ChartSpec {
  return {
    id,
    title,
    note,
    format,
    height: LINE_HEIGHT,
    config: {
      type: "line",
      data: { datasets },
      options: {
        parsing: false,
        interaction: { mode: "nearest", axis: "x", intersect: false },
        // Above the plot, never over it; each entry drawn as a short line in its series' style.
        plugins: { legend: { position: "top", align: "start", labels: { usePointStyle: true, pointStyle: "line", pointStyleWidth: 28 } } },
        scales: {
          x: { type: "linear", min: 0, max: Math.max(endS, 0.1), title: { display: true, text: "time since the start" } },
          // Records and tokens come whole: no 0.5 tick on a short run's axis.
          y: { beginAtZero: true, grace: "5%", ticks: format === "count" ? { precision: 0 } : {} },
        },
      },
    },
  };
}

function barSpec(id: string, title: string, format: ValueFormat, entries: [string, number][], empty: string): ChartSpec {
  const rows = entries.length;
  return {
    id,
    title,
    format,
    height: 56 + 34 * Math.max(rows, 1),
    empty: rows === 0 || entries.every(([, v]) => v === 0) ? empty : undefined,
    config: {
      type: "bar",
      data: { labels: entries.map(([k]) => k), datasets: [{ label: title, data: entries.map(([, v]) => v), backgroundColor: COLORS.bar, maxBarThickness: 24 }] },
      options: { indexAxis: "y", plugins: { legend: { display: false } }, scales: { x: { beginAtZero: true, grace: "5%", ticks: format === "count" ? { precision: 0 } : {} } } },
    },
  };
}

function formatSeconds(s: number): string {
  return s < 10 ? `${Math.round(s * 10) / 10} s` : `${Math.round(s)} s`;
}
