/**
 * `--batch` with `--batch-fallback sync`, `--max-cost` (held at batch prices before upload) and
 * `--metrics-file` (each batch's progress).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorBatchOptions, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, okCountById, readJsonlFile, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const N = 200;
let sim: SimulatorHandle | undefined;
afterEach(() => sim?.close());

async function setup(batch: SimulatorBatchOptions) {
  sim = await startSimulator({ seed: 9, batch });
  const dir = tempDir();
  const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: N }, (_, i) => ({ id: `o${i}`, prompt: `Item number ${i}` }))));
  return { dir, input, out: join(dir, "out.jsonl"), env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim.openaiBaseUrl } };
}

const ARGS = ["--batch", "--poll-interval", "0.05", "--max-tokens", "20", "-q"];

describe("run --batch options", () => {
  it("--batch-fallback sync: requests a batch did not answer go through the synchronous API", { timeout: 60_000 }, async () => {
    const { input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 200, completionWindowMs: 400 });
    const r = await runCli(["run", input, "-o", out, ...ARGS, "--batch-fallback", "sync"], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = readJsonlFile(out);
    expect(okCountById(lines).size).toBe(N);
    const direct = lines.filter((l) => l.steps[0].batch === undefined);
    expect(direct.length).toBeGreaterThan(0);
    // One batch only: what it left unanswered went synchronously, not into a second batch.
    expect(sim!.stats().batch.created).toHaveLength(1);
    expect(sim!.stats().requests).toBe(direct.length);
  });

  it("--max-cost holds each call's worst case at batch prices before the upload", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({});
    const est = await runCli(["estimate", input, ...ARGS, "--json"], { env });
    const e = JSON.parse(est.stdout);
    // Between the worst case at batch prices and at synchronous ones: all of it fits, but only at batch prices.
    const cap = (e.batch_cost_usd.max + e.cost_usd.max) / 2;
    const r = await runCli(["run", input, "-o", out, ...ARGS, "--max-cost", String(cap), "--summary", join(dir, "s.json")], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(okCountById(readJsonlFile(out)).size).toBe(N);
    expect(sim!.stats().batch.created).toHaveLength(1);
    const s = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    expect(s.budget.spent_usd).toBeLessThanOrEqual(cap);

    // A cap below the chunk's worst case at batch prices: what does not fit is never uploaded.
    const out2 = join(dir, "out2.jsonl");
    sim!.resetStats();
    const low = e.batch_cost_usd.max / 2;
    const r2 = await runCli(["run", input, "-o", out2, ...ARGS, "--max-cost", String(low), "--summary", join(dir, "s2.json")], { env });
    expect(r2.code, r2.stderr).toBe(1);
    const lines = readJsonlFile(out2);
    expect(lines).toHaveLength(N);
    const refused = lines.filter((l) => !l.ok);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((l) => l.error.type === "budget_exceeded")).toBe(true);
    expect(Object.keys(sim!.stats().batch.executed)).toHaveLength(N - refused.length);
    expect(JSON.parse(readFileSync(join(dir, "s2.json"), "utf8")).budget.spent_usd).toBeLessThanOrEqual(low);
  });

  it("--metrics-file lines carry each batch's state and counts", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 300 });
    const metrics = join(dir, "m.jsonl");
    const r = await runCli(["run", input, "-o", out, ...ARGS, "--metrics-file", metrics, "--metrics-interval", "0.05"], { env });
    expect(r.code, r.stderr).toBe(0);
    const lines = readJsonlFile(metrics).filter((l) => l.batches);
    expect(lines.length).toBeGreaterThan(1);
    const statuses = new Set(lines.flatMap((l) => l.batches.map((b: { status: string }) => b.status)));
    expect(statuses.has("in_progress")).toBe(true);
    expect(lines.at(-1)!.batches[0]).toMatchObject({ status: "completed", total: N, completed: N, failed: 0, chunk: 0, model: "gpt-4o-mini" });
  });
});
