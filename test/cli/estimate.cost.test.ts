import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [1, 10], seed: 5 });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

describe("llmbatch estimate", () => {
  it("matches a real run's input tokens (within 2%) and bounds its cost, sending nothing", async () => {
    const before = sim.stats().requests;
    const est = await runCli(["estimate", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--json"], { env });
    expect(est.code).toBe(0);
    expect(sim.stats().requests).toBe(before);
    const e = JSON.parse(est.stdout);
    expect(Object.keys(e)).toEqual(expect.arrayContaining(["records", "input_tokens", "output_tokens_assumed", "cost_usd", "est_wall_s", "by_model", "by_step"]));
    expect(e.records).toBe(36);
    expect(e.output_tokens_max).toBe(36 * 150); // pipelines/demo.yaml: max_tokens 150
    expect(e.output_tokens_assumed).toBe(36 * 75); // half of it
    expect(e.est_wall_s).toBeCloseTo((36 / 300) * 60, 5); // limits.rpm 300 binds
    expect(Object.keys(e.by_model)).toEqual(["gpt-4o-mini"]);
    expect(e.by_step.summary.calls).toBe(36);

    const dir = tempDir();
    const summaryPath = join(dir, "summary.json");
    const run = await runCli(["run", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--summary", summaryPath, "-q", "--rpm", "100000"], { env });
    expect(run.code).toBe(0);
    const s = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(Math.abs(e.input_tokens - s.usage.input_tokens) / s.usage.input_tokens).toBeLessThanOrEqual(0.02);
    expect(s.usage.output_tokens).toBeLessThanOrEqual(e.output_tokens_max);
    expect(s.cost_usd).toBeLessThanOrEqual(e.cost_usd.max);
  });

  it("states its output assumption and takes --assume-output for the expected cost", async () => {
    const table = await runCli(["estimate", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml"], { env });
    expect(table.code).toBe(0);
    expect(table.stdout).toContain("nothing was sent");
    expect(table.stdout).toMatch(/each call writes 50% of its max_tokens, at most 500 tokens \(summary: 75 of 150\)/);
    const r = await runCli(["estimate", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--json", "--assume-output", "10"], { env });
    const e = JSON.parse(r.stdout);
    expect(e.output_tokens_assumed).toBe(360);
    expect(e.cost_usd.expected).toBeLessThan(e.cost_usd.max);
    // gpt-4o-mini: input $0.15 and output $0.60 per 1M tokens.
    expect(e.cost_usd.expected).toBeCloseTo((e.input_tokens * 0.15 + 360 * 0.6) / 1e6, 12);
    expect(e.cost_usd.max).toBeCloseTo((e.input_tokens * 0.15 + 36 * 150 * 0.6) / 1e6, 12);
  });

  it("counts an earlier step's output as the later step's input, and skips invalid lines", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(
      dir,
      "p.yaml",
      `name: two
model: gpt-4o
params: {max_tokens: 100}
steps:
  - {id: draft, method: generate, prompt: "Draft: {{text}}"}
  - {id: polish, method: generate, model: gpt-4o-mini, prompt: "Polish: {{steps.draft.output}}", params: {max_tokens: 30}}
`,
    );
    const input = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: 1, text: "alpha" },
        { id: 2, text: "beta" },
      ]) +
        "{not json\n" +
        JSON.stringify({ id: 4, other: "no text" }) +
        "\n",
    );
    const r = await runCli(["estimate", input, "-p", pipeline, "--json"], { env });
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.records).toBe(2);
    expect(e.invalid_records).toBe(2);
    expect(e.calls).toBe(4);
    expect(e.by_step.polish.input_tokens).toBeGreaterThan(2 * 50); // the draft's 50 assumed tokens each (half its max_tokens)
    expect(Object.keys(e.by_model)).toEqual(["gpt-4o", "gpt-4o-mini"]);
    expect(e.est_wall_s).toBeNull();
  });

  it("run --dry-run prints the estimate on stderr, nothing on stdout, and sends nothing", async () => {
    const before = sim.stats().requests;
    const r = await runCli(["run", "samples/prompts.jsonl", "--dry-run"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("llmbatch estimate (nothing was sent)");
    expect(sim.stats().requests).toBe(before);
  });
});

describe("the expected cost assumes a typical output length, stated", () => {
  it("without --assume-output: half of each call's max_tokens, at most 500 tokens; max stays the worst case", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(
      dir,
      "p.yaml",
      `name: capped-and-open
model: gpt-4o-mini
steps:
  - {id: short, method: generate, prompt: "Label: {{text}}", params: {max_tokens: 40}}
  - {id: long, method: generate, prompt: "Explain: {{text}}"}
`,
    );
    const input = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: "a", text: "refund please" },
        { id: "b", text: "app crashes on login" },
      ]),
    );
    const r = await runCli(["estimate", input, "-p", pipeline, "--json"], { env });
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.by_step.short.output_tokens_assumed).toBe(2 * 20);
    expect(e.by_step.long.output_tokens_assumed).toBe(2 * 500); // max_tokens unset counts as 4096; 500 is the typical cap
    expect(e.output_tokens_max).toBe(2 * (40 + 4096));
    expect(e.cost_usd.expected).toBeLessThan(e.cost_usd.max);
    expect(e.cost_usd.expected).toBeCloseTo((e.input_tokens * 0.15 + 1040 * 0.6) / 1e6, 12);
    expect(e.assumptions.output).toContain("50% of its max_tokens, at most 500 tokens (short: 20 of 40; long: 500 of 4096, max_tokens unset)");
  });
});

describe("estimate takes run's command line; run --dry-run --json", () => {
  it("estimate accepts every flag of run, ignores those that do not change an estimate, and says so once", async () => {
    const dir = tempDir();
    const out = join(dir, "results.jsonl");
    const plain = await runCli(["estimate", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--json"], { env });
    const before = sim.stats().requests;
    const runLine = [
      "samples/tickets.jsonl",
      "-p",
      "pipelines/demo.yaml",
      "-o",
      out,
      "--base-url",
      "http://127.0.0.1:9/v1",
      "-c",
      "4",
      "--resume",
      "--summary",
      join(dir, "s.json"),
      "--no-progress",
      "-v",
      "--json",
    ];
    const r = await runCli(["estimate", ...runLine], { env });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(plain.stdout));
    expect(r.stderr.trim().split("\n")).toEqual(["note: estimate ignores --base-url, --output, --summary, --concurrency, --resume: they do not change what the batch would cost or take"]);
    expect(existsSync(out)).toBe(false);
    expect(sim.stats().requests).toBe(before);
    const quiet = await runCli(["estimate", ...runLine, "-q"], { env });
    expect(quiet.code).toBe(0);
    expect(quiet.stderr).toBe("");
  });

  it("estimate still checks the values of the flags it ignores (a bad command line stays a usage error)", async () => {
    const r = await runCli(["estimate", "samples/tickets.jsonl", "--concurrency", "lots"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--concurrency");
  });

  it("run --dry-run --json prints the estimate as one JSON object on stdout, the same as estimate --json", async () => {
    const before = sim.stats().requests;
    const r = await runCli(["run", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--dry-run", "--json"], { env });
    expect(r.code).toBe(0);
    expect(sim.stats().requests).toBe(before);
    const est = await runCli(["estimate", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--json"], { env });
    expect(JSON.parse(r.stdout)).toEqual(JSON.parse(est.stdout));
    expect(r.stdout.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toBe("");
  });

  it("run --json without --dry-run is noted and ignored: the run's results are JSON lines", async () => {
    const r = await runCli(["run", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--json", "--max-tokens", "8"], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("note: --json goes with --dry-run (it shapes the estimate it prints); a run ignores it");
    expect(
      r.stdout
        .trim()
        .split("\n")
        .every((l) => typeof JSON.parse(l).ok === "boolean"),
    ).toBe(true);
  });
});
