import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [5, 60], seed: 11, faults: { server500: 0.1 } });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

// gpt-4o-mini, USD per token.
const IN = 0.15 / 1e6;
const OUT = 0.6 / 1e6;

describe("llmbatch run --max-cost", () => {
  it("never spends more than the budget under concurrency and retries; the rest are budget_exceeded, exit 1", async () => {
    const dir = tempDir();
    const records = Array.from({ length: 80 }, (_, i) => {
      const fault = i % 7 === 0 ? " [[sim:fail:1:500]]" : i % 11 === 0 ? " [[sim:fail:1:reset]]" : i % 13 === 0 ? " [[sim:content_filter]]" : "";
      return { id: `r${i}`, prompt: `Describe item number ${i} of the catalogue in a few words.${fault}` };
    });
    const file = writeTemp(dir, "in.jsonl", jsonl(records));
    const summaryPath = join(dir, "summary.json");
    const maxCost = 0.0012;
    const before = sim.stats();
    const r = await runCli(["run", file, "--max-cost", String(maxCost), "--max-tokens", "40", "-c", "16", "--summary", summaryPath, "--no-progress"], { env });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.id).sort()).toEqual(records.map((x) => x.id).sort());

    // What the server served (and would bill) stays within the budget.
    const after = sim.stats();
    const served = (after.inputTokens - before.inputTokens) * IN + (after.outputTokens - before.outputTokens) * OUT;
    expect(served).toBeGreaterThan(0);
    expect(served).toBeLessThanOrEqual(maxCost);

    const costSum = lines.reduce((s, l) => s + (l.cost_usd ?? 0), 0);
    expect(costSum).toBeLessThanOrEqual(maxCost);
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(summary.cost_usd).toBeCloseTo(costSum, 9);
    expect(summary.budget.max_cost_usd).toBe(maxCost);
    expect(summary.budget.exhausted).toBe(true);
    expect(summary.budget.spent_usd).toBeLessThanOrEqual(maxCost);
    expect(summary.budget.spent_usd).toBeGreaterThanOrEqual(summary.cost_usd - 1e-9);
    expect(summary.stopped_reason).toMatch(/^budget reached/);
    expect(summary.exit_code).toBe(1);

    const refused = lines.filter((l) => l.error?.type === "budget_exceeded");
    expect(refused.length).toBeGreaterThan(0);
    // Most were never sent; a record whose retry the budget refused also ends budget_exceeded.
    expect(refused.filter((l) => l.attempts === 0).length).toBeGreaterThan(0);
    expect(summary.errors_by_type.budget_exceeded).toBe(refused.length);
    expect(summary.not_attempted).toBe(refused.length);
    // Retries happened and were paid for out of the same budget.
    expect(summary.backoff.retries).toBeGreaterThan(0);
    expect(summary.backoff).toHaveProperty("budget_waits");
    // A content-filtered completion is billed: its prompt tokens and cost are kept.
    const filtered = lines.filter((l) => l.error?.type === "content_filter");
    for (const l of filtered) {
      expect(l.usage.input_tokens).toBeGreaterThan(0);
      expect(l.cost_usd).toBeGreaterThan(0);
    }
    expect(r.stderr).toMatch(/budget reached/);
  }, 60_000);

  it("sends everything and exits 0 when the budget is large enough", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: "a", prompt: "Hello" },
        { id: "b", prompt: "World" },
      ]),
    );
    const r = await runCli(["run", file, "--max-cost", "1", "--max-tokens", "20", "-q"], { env: { ...env } });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).every((l) => l.ok)).toBe(true);
  });

  it("refuses an unpriced model before sending anything (exit 2)", async () => {
    const before = sim.stats().requests;
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", jsonl([{ id: "a", prompt: "Hello" }]));
    const r = await runCli(["run", file, "-m", "openai:llama3.2", "--max-cost", "1"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--max-cost 1: no price known for "llama3.2" \(step generate\)/);
    expect(r.stdout).toBe("");
    expect(sim.stats().requests).toBe(before);
  });

  it("caps output at 4096 tokens when max_tokens is unset, saying so", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", jsonl([{ id: "a", prompt: "Hello" }]));
    const r = await runCli(["run", file, "--max-cost", "1"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/capped at 4096 output tokens/);
  });

  it("rejects a --max-cost that is not a positive number", async () => {
    const r = await runCli(["run", "samples/prompts.jsonl", "--max-cost", "ten"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-cost must be a positive number, got "ten"');
  });
});
