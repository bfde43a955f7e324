import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, okCountById, readJsonlFile, runCli, startCli, tempDir, waitForLines, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;
beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [10, 40] });
  env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

function batch(dir: string, n: number, tag: string): { input: string; ids: string[] } {
  const records = Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, prompt: `${tag} ${i}` }));
  return { input: writeTemp(dir, "in.jsonl", jsonl(records)), ids: records.map((r) => r.id) };
}

describe("crash safety and graceful shutdown", () => {
  it("kill -9 mid-run, then --resume: exactly one ok line per id, at most `concurrency` requests paid twice", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const { input, ids } = batch(dir, 300, "k");
    const out = join(dir, "out.jsonl");
    const concurrency = 8;
    sim.resetStats();
    const run = startCli(["run", input, "-o", out, "-c", String(concurrency), "-q"], { env });
    await waitForLines(out, 60);
    run.child.kill("SIGKILL");
    expect((await run.done).signal).toBe("SIGKILL");
    const wholeLines = readFileSync(out, "utf8").split("\n").length - 1; // a partial last line is the resume's to cut
    expect(wholeLines).toBeLessThan(300);

    const resumed = await runCli(["run", input, "-o", out, "--resume", "-c", String(concurrency), "-q"], { env });
    expect(resumed.code).toBe(0);
    const ok = okCountById(readJsonlFile(out));
    expect([...ok.keys()].sort()).toEqual([...ids].sort());
    expect([...ok.values()].every((n) => n === 1)).toBe(true);
    // Paid twice: only requests answered but not yet written when the process died.
    const extra = sim.stats().ok - ids.length;
    expect(extra).toBeGreaterThanOrEqual(0);
    expect(extra).toBeLessThanOrEqual(concurrency);
  });

  it("SIGINT: in-flight requests finish, the rest are written as not_attempted, exit 130; --resume completes without paying twice", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const { input, ids } = batch(dir, 200, "i");
    const out = join(dir, "out.jsonl");
    const summaryPath = join(dir, "summary.json");
    sim.resetStats();
    const run = startCli(["run", input, "-o", out, "-c", "4", "--summary", summaryPath, "--no-progress"], { env });
    await waitForLines(out, 12);
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    const lines = readJsonlFile(out);
    expect(lines).toHaveLength(200);
    const notAttempted = lines.filter((l) => l.error?.type === "not_attempted");
    expect(notAttempted.length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.ok).length + notAttempted.length).toBe(200); // nothing cancelled: the grace period sufficed
    expect(notAttempted.every((l) => l.attempts === 0 && /interrupted/.test(l.error.message))).toBe(true);
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(summary).toMatchObject({ records: 200, not_attempted: notAttempted.length, stopped_reason: "interrupted", exit_code: 130 });
    expect(r.stderr).toContain(`${notAttempted.length} records were not attempted`);
    expect(r.stderr).toContain("--resume");

    const resumed = await runCli(["run", input, "-o", out, "--resume", "-q"], { env });
    expect(resumed.code).toBe(0);
    const ok = okCountById(readJsonlFile(out));
    expect(ok.size).toBe(ids.length);
    expect([...ok.values()].every((n) => n === 1)).toBe(true);
    expect(sim.stats().ok).toBe(ids.length); // every request answered was written: none paid twice
  });

  it("a second SIGINT cancels the requests in flight through their AbortSignal; the summary counts them, at their worst case", { timeout: 30_000 }, async () => {
    const dir = tempDir();
    const records = Array.from({ length: 10 }, (_, i) => ({ id: `s${i}`, prompt: `slow ${i} [[sim:latency:20000]]` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const summaryPath = join(dir, "summary.json");
    sim.resetStats();
    const run = startCli(["run", input, "-c", "2", "--summary", summaryPath, "--no-progress"], { env });
    while (sim.stats().requests < 2) await new Promise((res) => setTimeout(res, 20));
    run.child.kill("SIGINT");
    await new Promise((res) => setTimeout(res, 200));
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code).toBe(130);
    const lines = r.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, any>);
    expect(lines).toHaveLength(10);
    expect(lines.filter((l) => l.error?.type === "cancelled")).toHaveLength(2);
    expect(lines.filter((l) => l.error?.type === "not_attempted")).toHaveLength(8);
    expect(r.stderr).toContain("cancelling the requests in flight");
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(summary.attempts).toBe(sim.stats().requests);
    expect(summary.in_flight_at_stop).toBe(2);
    expect(summary.cost_usd).toBe(0); // no answer, no usage: what they may cost is in cost_unknown
    expect(summary.cost_unknown.attempts).toBe(2);
    expect(summary.cost_unknown.worst_case_usd).toBeGreaterThan(0);
    expect(r.stderr).toContain("2 requests got no answer (cancelled, timed out or cut off) and may be billed");
    expect(r.stderr).toContain("cannot be resumed");
  });
});
