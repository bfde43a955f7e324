/**
 * `--batch` when batches do not simply complete: expiry with partial results, a cancel from
 * `llmbatch batches cancel`, lines that fail inside a batch, and the enqueued-token limit. Each run
 * ends with every record ok and exactly one line per record, each request billed once.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorBatchOptions, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, okCountById, readJsonlFile, runCli, startCli, tempDir, writeTemp } from "../helpers/cli.js";

const N = 200;
let sim: SimulatorHandle | undefined;
afterEach(() => sim?.close());

async function setup(batch: SimulatorBatchOptions) {
  sim = await startSimulator({ seed: 5, batch });
  const dir = tempDir();
  const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: N }, (_, i) => ({ id: `f${i}`, prompt: `Item number ${i}` }))));
  return { dir, input, out: join(dir, "out.jsonl"), env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim.openaiBaseUrl } };
}

const ARGS = ["--batch", "--batch-size", "100", "--poll-interval", "0.05", "--max-tokens", "20", "--summary"];

function expectAllOnce(out: string): void {
  const lines = readJsonlFile(out);
  expect(lines).toHaveLength(N);
  const ok = okCountById(lines);
  expect(ok.size).toBe(N);
  const billed = sim!.stats().batch.billed;
  // Every record was answered once: one billed line per record, whatever was retried on the way.
  expect(Object.values(billed).reduce((a, b) => a + b, 0)).toBe(N);
}

describe("run --batch when batches do not simply complete", () => {
  it("expiry: finished lines are kept, expired ones go into later batches", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 200, completionWindowMs: 400 });
    const r = await runCli(["run", input, "-o", out, ...ARGS, join(dir, "s.json")], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: expired, \d+\/100 done/);
    expectAllOnce(out);
    const summary = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    expect(summary.batch.batches).toBeGreaterThan(2);
    expect(summary.batch.requests).toBeGreaterThan(N);
  });

  it("--resume after retries ran out: the earlier attempts are replayed from their batches, then retried afresh", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 200, completionWindowMs: 400 });
    const args = ["run", input, "-o", out, ...ARGS, join(dir, "s.json"), "--max-retries", "0"];
    const first = await runCli(args, { env });
    expect(first.code, first.stderr).toBe(1);
    const okFirst = okCountById(readJsonlFile(out)).size;
    expect(okFirst).toBeGreaterThan(0);
    expect(okFirst).toBeLessThan(N);
    const resumed = await runCli([...args, "--resume"], { env });
    expect([0, 1]).toContain(resumed.code);
    // Progress: the expired requests were sent again in new batches (not replayed as failures forever).
    expect(okCountById(readJsonlFile(out)).size).toBeGreaterThan(okFirst);
    const billed = sim!.stats().batch.billed;
    expect(Object.values(billed).every((n) => n === 1)).toBe(true);
    const hashes = sim!.stats().batch.created.map((b) => b.inputSha256);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it("cancel from `llmbatch batches cancel`: cancelled lines are sent again, finished ones kept", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 40 });
    const run = startCli(["run", input, "-o", out, ...ARGS, join(dir, "s.json")], { env });
    const deadline = Date.now() + 20_000;
    for (;;) {
      let ids = 0;
      try {
        ids = JSON.parse(readFileSync(`${out}.batches.json`, "utf8")).chunks.filter((c: { batch_id?: string }) => c.batch_id).length;
      } catch {}
      if (ids >= 2 || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    // Frozen while the two commands run, so a loaded machine cannot let the batches finish first.
    sim!.holdBatches(true);
    const status = await runCli(["batches", "status", out, "--json"], { env });
    expect(status.code, status.stderr).toBe(0);
    const TERMINAL = ["completed", "failed", "expired", "cancelled"];
    expect(JSON.parse(status.stdout).filter((b: { status: string | null }) => b.status !== null && !TERMINAL.includes(b.status)).length).toBeGreaterThan(0);
    const cancel = await runCli(["batches", "cancel", out], { env });
    sim!.holdBatches(false);
    expect(cancel.code, cancel.stderr).toBe(0);
    expect(cancel.stderr).toMatch(/cancell/);
    const r = await run.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/: cancelled, \d+\/100 done/);
    expectAllOnce(out);
  });

  it("lines that fail inside a batch (500s in the error file) are retried in later batches", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ lineFailureRate: 0.2 });
    const r = await runCli(["run", input, "-o", out, ...ARGS, join(dir, "s.json")], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(sim!.stats().batch.linesFailed).toBeGreaterThan(0);
    expectAllOnce(out);
    const retried = readJsonlFile(out).filter((l) => l.attempts > 1);
    expect(retried.length).toBeGreaterThan(0);
  });

  it("an HTTP error inside a line is classified as the same answer over HTTP would be", { timeout: 60_000 }, async () => {
    const { dir, out, env } = await setup({});
    const input = writeTemp(
      dir,
      "mixed.jsonl",
      jsonl([
        { id: "long", prompt: "too long [[sim:context_length]]" },
        { id: "flaky", prompt: "once more [[sim:fail:1:500]]" },
        ...Array.from({ length: 8 }, (_, i) => ({ id: `p${i}`, prompt: `plain ${i}` })),
      ]),
    );
    const r = await runCli(["run", input, "-o", out, ...ARGS, join(dir, "s.json")], { env });
    expect(r.code, r.stderr).toBe(1);
    const byId = new Map(readJsonlFile(out).map((l) => [l.id, l]));
    expect(byId.size).toBe(10);
    // Not retriable: one attempt, the synchronous error type.
    expect(byId.get("long")).toMatchObject({ ok: false, attempts: 1, error: { type: "context_length", status: 400 } });
    // A 500 inside the line is retried in a later batch, and then answered.
    expect(byId.get("flaky")).toMatchObject({ ok: true, attempts: 2 });
    expect(byId.get("flaky")!.steps[0].batch.batch_id).not.toBe(byId.get("p0")!.steps[0].batch.batch_id);
  });

  it("a batch refused as too large (too_many_requests) is split: its requests go into smaller batches", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ maxRequests: 60 });
    const r = await runCli(["run", input, "-o", out, "--batch", "--poll-interval", "0.05", "--max-tokens", "20", "--summary", join(dir, "s.json")], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("refused as too large");
    expectAllOnce(out);
    const sizes = sim!.batches().map((b) => [b.status, b.request_counts?.total]);
    // 200 refused, then 100s refused, then chunks of 50 pass.
    expect(sizes.filter(([s]) => s === "failed").length).toBeGreaterThan(0);
    expect(
      sim!
        .batches()
        .filter((b) => b.status === "completed")
        .every((b) => (b.request_counts?.total ?? 0) <= 60),
    ).toBe(true);
  });

  it("token_limit_exceeded: the batch is created again once running ones finish", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 400, enqueuedTokenLimit: 1_500 });
    const r = await runCli(["run", input, "-o", out, ...ARGS, join(dir, "s.json")], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("enqueued token limit reached");
    expectAllOnce(out);
    const failed = sim!.batches().filter((b) => b.status === "failed");
    expect(failed.length).toBeGreaterThan(0);
  });

  it("--batch-max-enqueued-tokens keeps batches under the limit: none refused", { timeout: 60_000 }, async () => {
    const { dir, input, out, env } = await setup({ validatingMs: 50, linesPerSecond: 400, enqueuedTokenLimit: 1_500 });
    const r = await runCli(["run", input, "-o", out, ...ARGS, join(dir, "s.json"), "--batch-max-enqueued-tokens", "1500"], { env });
    expect(r.code, r.stderr).toBe(0);
    expectAllOnce(out);
    expect(sim!.batches().filter((b) => b.status === "failed")).toHaveLength(0);
  });
});
