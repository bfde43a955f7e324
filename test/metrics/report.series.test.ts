import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { liveLine, type LiveLine } from "../../src/metrics/live-metrics.js";
import { MetricsRecorder } from "../../src/metrics/metrics-recorder.js";
import { SummaryBuilder } from "../../src/metrics/summary.js";
import { chartSpecs } from "../../src/report/chart-specs.js";
import { renderReport } from "../../src/report/html-report.js";
import { emptyBackoff, emptyUsage, failedResult, type GenerationResult } from "../../src/types.js";

const sent = (id: string): GenerationResult => ({
  id,
  ok: true,
  output: "x",
  usage: { ...emptyUsage(), input_tokens: 10, output_tokens: 5 },
  cost_usd: 0.00001,
  attempts: 1,
  backoff: emptyBackoff(),
  latency_ms: 900,
  steps: [],
  model: "gpt-4o-mini",
  provider: "openai",
});
const refused = (id: string): GenerationResult => failedResult(id, { type: "budget_exceeded", message: "budget reached", retriable: false });

/**
 * A run sampled every 250 ms, as `--report` samples it: one record a second for 20 s, each with one
 * request, then the budget runs out and 500 records are refused within the same instant.
 */
function budgetRun(): { points: LiveLine[]; results: GenerationResult[] } {
  const clock = new FakeClock();
  const metrics = new MetricsRecorder(clock);
  const results: GenerationResult[] = [];
  const points: LiveLine[] = [];
  const sample = () => points.push(liveLine(metrics.snapshot(), { queued: { rpm: 0, tpm: 0, budget: 0 } }));
  sample();
  for (let tick = 1; tick <= 80; tick++) {
    clock.advance(250);
    if (tick % 4 === 0) {
      const r = sent(`r${tick}`);
      metrics.requestStarted();
      metrics.requestFinished(15);
      metrics.recordResult(r);
      results.push(r);
    }
    sample();
  }
  clock.advance(10);
  for (let i = 0; i < 500; i++) {
    const r = refused(`b${i}`);
    metrics.recordResult(r);
    results.push(r);
  }
  sample();
  return { points, results };
}

const summaryOf = (results: GenerationResult[]) => {
  const b = new SummaryBuilder();
  for (const r of results) b.add(r);
  return b.build({ exitCode: 1, stoppedReason: "budget reached", budget: { max_cost_usd: 0.0002, spent_usd: 0.0002, exhausted: true, spent_before_usd: 0 } });
};

describe("the report's series", () => {
  it("counts records that failed without a request apart (unsent), in the recorder and the sampled lines", () => {
    const { points } = budgetRun();
    const last = points[points.length - 1]!;
    expect(last).toMatchObject({ records_done: 520, failed: 500, unsent: 500, ok: 20 });
  });

  it("plots throughput from completions only: 500 refusals in one instant make no spike", () => {
    const { points, results } = budgetRun();
    const specs = chartSpecs(summaryOf(results), points);
    const datasets = (id: string) => specs.find((s) => s.id === id)!.config.data.datasets as { label: string; data: { x: number; y: number }[] }[];
    const completed = datasets("chart-throughput").find((d) => d.label === "records completed/min")!.data;
    // One record a second is 60 a minute, averaged over 0.5 s windows of 250 ms samples.
    expect(Math.max(...completed.map((p) => p.y))).toBeLessThanOrEqual(120);
    expect(completed[completed.length - 1]!.y).toBeLessThanOrEqual(120);
    const notSent = datasets("chart-records").find((d) => d.label === "not sent")!.data;
    expect(notSent[notSent.length - 1]).toEqual({ x: points[points.length - 1]!.elapsed_s, y: 500 });
    expect(notSent[notSent.length - 2]!.y).toBe(0);
  });

  it("draws the budget as a line over the whole run, beside the cost", () => {
    const { points, results } = budgetRun();
    const cost = chartSpecs(summaryOf(results), points).find((s) => s.id === "chart-cost")!;
    const budget = (cost.config.data.datasets as { label: string; data: { x: number; y: number }[] }[]).find((d) => d.label.startsWith("budget"))!;
    expect(budget.label).toBe("budget ($0.0002)");
    expect(budget.data).toEqual([
      { x: 0, y: 0.0002 },
      { x: 20, y: 0.0002 },
    ]);
  });

  it("says so instead of drawing an empty bar chart", () => {
    const { points, results } = budgetRun();
    const html = renderReport({ summary: summaryOf(results), points, title: "in.jsonl" });
    expect(html).toContain('<p class="empty" id="chart-waits-empty">no waits</p>');
    expect(html).toMatch(/<canvas id="chart-errors"/);
  });

  it("keeps a model name or title with </script> from ending the page's data block", () => {
    const { points, results } = budgetRun();
    const summary = summaryOf(results);
    summary.cost_by_model = { "</script><script>alert(1)</script>": 0.0002 };
    const html = renderReport({ summary, points, title: "</script>.jsonl" });
    const data = /<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!;
    expect(data).not.toContain("<");
    expect(JSON.parse(data).find((c: { id: string }) => c.id === "chart-cost-by-model").config.data.labels).toEqual(["</script><script>alert(1)</script>"]);
    expect(html).toContain("<title>llmbatch report: &#60;/script&#62;.jsonl</title>");
  });
});
