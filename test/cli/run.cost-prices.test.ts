import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [1, 10], seed: 9 });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

const records = jsonl([
  { id: "a", prompt: "Hello there" },
  { id: "b", prompt: "General Kenobi" },
  { id: "c", prompt: "You are a bold one" },
]);

describe("llmbatch run: prices", () => {
  it("--prices overrides the bundled price, and the snapshot the server reports uses it", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", records);
    const prices = writeTemp(dir, "prices.yaml", "gpt-4o-mini:\n  input: 1000\n  output: 2000\n");
    const summaryPath = join(dir, "s.json");
    const r = await runCli(["run", input, "--prices", prices, "--max-tokens", "8", "--summary", summaryPath, "-q"], { env });
    expect(r.code).toBe(0);
    for (const l of jsonLines(r.stdout)) {
      expect(l.cost_usd).toBeCloseTo((l.usage.input_tokens * 1000 + l.usage.output_tokens * 2000) / 1e6, 9);
      expect(l.steps[0].cost_usd).toBe(l.cost_usd);
    }
    const s = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(s.cost_usd).toBeCloseTo((s.usage.input_tokens * 1000 + s.usage.output_tokens * 2000) / 1e6, 9);
    expect(s.cost_by_model["gpt-4o-mini"]).toBe(s.cost_usd);
    expect(s.cost_by_step.generate).toBe(s.cost_usd);
  });

  it("the pipeline's prices: apply, and --prices wins over them", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", records);
    const pipeline = writeTemp(dir, "p.yaml", "name: p\nprices:\n  gpt-4o-mini: {input: 10, output: 10}\nparams: {max_tokens: 8}\nsteps:\n  - {id: s, method: generate, prompt: '{{prompt}}'}\n");
    const a = jsonLines((await runCli(["run", input, "-p", pipeline, "-q"], { env })).stdout);
    for (const l of a) expect(l.cost_usd).toBeCloseTo(((l.usage.input_tokens + l.usage.output_tokens) * 10) / 1e6, 9);
    const file = writeTemp(dir, "prices.json", JSON.stringify({ "gpt-4o-mini": { input: 0, output: 0 } }));
    const b = jsonLines((await runCli(["run", input, "-p", pipeline, "--prices", file, "-q"], { env })).stdout);
    for (const l of b) expect(l.cost_usd).toBe(0);
  });

  it("a bad price file stops the run before anything is sent (exit 2), naming file, line and field", async () => {
    const dir = tempDir();
    const prices = writeTemp(dir, "prices.yaml", "gpt-4o-mini:\n  input: free\n  output: 1\n");
    const before = sim.stats().requests;
    const r = await runCli(["run", "samples/prompts.jsonl", "--prices", prices], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${prices}:2:10: gpt-4o-mini.input must be a non-negative number (USD per 1M tokens), got "free"`);
    expect(sim.stats().requests).toBe(before);
  });
});
