/**
 * `--max-cost` covers the whole results file: what earlier runs spent on it is kept in its sidecar
 * (`spent_usd`) and counts against the cap on a resume, so the same budget is never spent twice.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, readJsonlFile, ROOT, runCli, startCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [5, 30] });
const PRODUCTS = join(ROOT, "test/fixtures/products.csv");

// gpt-4o-mini, USD per token.
const IN = 0.15 / 1e6;
const OUT = 0.6 / 1e6;

const meta = (out: string) => JSON.parse(readFileSync(`${out}.meta.json`, "utf8"));
const summaryOf = (path: string) => JSON.parse(readFileSync(path, "utf8"));

async function run(args: string[], summaryPath: string) {
  const before = simulator.sim().stats();
  const r = await runCli(["run", ...args, "--summary", summaryPath, "--no-progress"], { env: simulator.env() });
  const after = simulator.sim().stats();
  const served = (after.inputTokens - before.inputTokens) * IN + (after.outputTokens - before.outputTokens) * OUT;
  return { r, summary: summaryOf(summaryPath), requests: after.requests - before.requests, served };
}

describe("--max-cost across resumes", () => {
  it("a resume with the same budget sends nothing; with a larger one it spends only the difference", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, "blurbs.jsonl");
    const summaryPath = join(dir, "summary.json");
    const template = ["--template", "Write a shop description of {{name}}: {{notes}}", "--max-tokens", "40", "-c", "4"];

    const first = await run([PRODUCTS, ...template, "-o", out, "--max-cost", "0.0002"], summaryPath);
    expect(first.r.code).toBe(1);
    expect(first.summary.budget.exhausted).toBe(true);
    expect(first.summary.not_attempted).toBeGreaterThan(0);
    expect(first.requests).toBeGreaterThan(0);
    const spent1 = first.summary.budget.spent_usd;
    expect(spent1).toBeGreaterThan(0);
    expect(spent1).toBeLessThanOrEqual(0.0002);
    expect(meta(out).spent_usd).toBe(spent1);
    expect(first.summary.budget.spent_before_usd).toBe(0);

    const same = await run([PRODUCTS, ...template, "-o", out, "--resume", "--max-cost", "0.0002"], summaryPath);
    expect(same.r.code).toBe(1);
    expect(same.requests).toBe(0); // the budget was spent already: nothing more is sent
    expect(same.summary.budget).toMatchObject({ spent_before_usd: spent1, spent_usd: spent1, exhausted: true });
    expect(same.summary.errors_by_type).toEqual({ budget_exceeded: same.summary.records });
    expect(same.r.stderr).toContain(`covers the whole results file: $${spent1} was spent on ${out} by earlier runs`);
    expect(meta(out).spent_usd).toBe(spent1);

    const larger = await run([PRODUCTS, ...template, "-o", out, "--resume", "--max-cost", "0.0003"], summaryPath);
    expect(larger.requests).toBeGreaterThan(0);
    const spent3 = larger.summary.budget.spent_usd;
    expect(larger.summary.budget.spent_before_usd).toBe(spent1);
    expect(spent3).toBeLessThanOrEqual(0.0003);
    // What the server served in this run fits in the difference between the two budgets.
    expect(larger.served).toBeLessThanOrEqual(0.0003 - spent1 + 1e-12);
    expect(larger.served).toBeGreaterThan(0);
    expect(meta(out).spent_usd).toBe(spent3);
    // Over the whole file: every line's cost together stays within the last cap.
    const total = readJsonlFile(out).reduce((sum, l) => sum + (l.cost_usd ?? 0), 0);
    expect(total).toBeLessThanOrEqual(0.0003);
    expect(total).toBeCloseTo(spent3, 9);

    // A resume without a cap still records what it spent, on top.
    const free = await run([PRODUCTS, ...template, "-o", out, "--resume"], summaryPath);
    expect(free.r.code).toBe(0);
    expect(meta(out).spent_usd).toBeCloseTo(spent3 + free.summary.cost_usd, 9);
    // A new run into the same file (no --resume) starts its record anew.
    const fresh = await run([PRODUCTS, ...template, "-o", out, "--max-cost", "0.0001"], summaryPath);
    expect(fresh.summary.budget.spent_before_usd).toBe(0);
    expect(meta(out).spent_usd).toBe(fresh.summary.budget.spent_usd);
  });

  it("kill -9 mid-run: the spend saved along the way still counts on the resume", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, "slow.jsonl");
    const records = Array.from({ length: 40 }, (_, i) => ({ id: `k${i}`, prompt: `Summarise order ${i} for the customer. [[sim:latency:700]]` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const run = startCli(["run", input, "-o", out, "--max-tokens", "30", "-c", "2", "--max-cost", "1", "-q"], { env: simulator.env() });
    let saved: number | undefined;
    const deadline = Date.now() + 30_000;
    while (saved === undefined && Date.now() < deadline) {
      await new Promise((res) => setTimeout(res, 100));
      try {
        saved = meta(out).spent_usd;
      } catch {
        saved = undefined; // not written yet
      }
    }
    run.child.kill("SIGKILL");
    expect((await run.done).signal).toBe("SIGKILL");
    expect(saved, "the sidecar never recorded spent_usd while the run went on").toBeGreaterThan(0);
    const recorded: number = meta(out).spent_usd; // the last save before the kill
    expect(recorded).toBeGreaterThanOrEqual(saved!);
    // Saved while requests were in flight, it holds their worst case too: never less than what the lines cost.
    expect(recorded).toBeGreaterThanOrEqual(readJsonlFile(out).reduce((sum, l) => sum + (l.cost_usd ?? 0), 0) - 1e-12);

    // A cap of what was saved leaves nothing to spend: the resume sends nothing.
    const before = simulator.sim().stats().requests;
    const r = await runCli(["run", input, "-o", out, "--resume", "--max-tokens", "30", "--max-cost", String(recorded), "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    expect(simulator.sim().stats().requests).toBe(before);
    expect(meta(out).spent_usd).toBe(recorded);
  });
});
