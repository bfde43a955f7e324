/**
 * A run that stops early still counts every attempt it sent: the requests in flight when the
 * output closed (`| head -3`), those cancelled after the grace period, and those of a run stopped
 * by a fatal error or --max-errors (a second Ctrl-C: run.interrupt.test.ts). The simulator's count of requests received is the bill to match.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, startCli, tempDir, useSimulator, writeTemp, type CliRun } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [300, 600] });
const sim = () => simulator.sim();

// gpt-4o-mini, USD per token.
const IN = 0.15 / 1e6;
const OUT = 0.6 / 1e6;

/** Runs `llmbatch run …` with stdout into a pipe that is closed after `n` lines, as `| head -n` does. */
async function runIntoHead(args: string[], n: number): Promise<CliRun & { linesRead: number }> {
  const { child, done } = startCli(args, { env: simulator.env() });
  let linesRead = 0;
  child.stdout!.on("data", (chunk: string) => {
    if (linesRead >= n) return;
    linesRead += chunk.split("\n").length - 1;
    if (linesRead >= n) child.stdout!.destroy();
  });
  return { ...(await done), linesRead };
}

function summaryOf(path: string) {
  return JSON.parse(readFileSync(path, "utf8"));
}

describe("what a run that stops early counts", () => {
  it("| head -3: the requests in flight when the output closed are waited for and counted; attempts match what the server received", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const records = Array.from({ length: 60 }, (_, i) => ({ id: `h${i}`, prompt: `Describe product ${i} in a sentence.` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const summaryPath = join(dir, "summary.json");
    const reportPath = join(dir, "report.html");
    sim().resetStats();
    const r = await runIntoHead(["run", input, "--summary", summaryPath, "--report", reportPath, "--no-progress"], 3);
    expect(r.code).toBe(130);
    const served = sim().stats();
    const s = summaryOf(summaryPath);

    expect(s.stopped_reason).toMatch(/^output closed/);
    // Every request the server received is in the summary, with what it cost.
    expect(s.attempts).toBe(served.requests);
    expect(s.cost_usd).toBeCloseTo(served.inputTokens * IN + served.outputTokens * OUT, 9);
    expect(s.usage.output_tokens).toBe(served.outputTokens);
    // More were sent than read: those in flight at the close have results, but no line.
    expect(s.in_flight_at_stop).toBeGreaterThan(0);
    expect(s.unwritten).toBeGreaterThanOrEqual(s.in_flight_at_stop);
    expect(s.records - s.unwritten).toBeGreaterThanOrEqual(r.linesRead);
    expect(s.records).toBeLessThan(60); // the rest of the input was not read, nothing more was sent
    expect(s.cost_unknown).toEqual({ attempts: 0, worst_case_usd: 0 }); // every one was answered
    expect(r.stderr).toContain(`${s.in_flight_at_stop} requests were in flight; they may be billed: counted in the summary`);
    // The stderr table and the --report page say the same.
    expect(r.stderr).toMatch(new RegExp(`${s.attempts} attempts in all`));
    expect(r.stderr).toContain(`${s.unwritten} counted but not written (output closed)`);
    expect(readFileSync(reportPath, "utf8")).toContain(
      `<td>attempts</td><td>${s.attempts} · ${s.in_flight_at_stop} in flight when the run stopped · ${s.unwritten} results counted but not written (output closed)</td>`,
    );
  });

  it("| head -3 with requests that outlast --grace: they are cancelled and counted at their worst case", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const records = [
      ...Array.from({ length: 3 }, (_, i) => ({ id: `f${i}`, prompt: `fast ${i} [[sim:latency:5]]` })),
      { id: "m", prompt: "after the close [[sim:latency:800]]" },
      ...Array.from({ length: 20 }, (_, i) => ({ id: `s${i}`, prompt: `slow ${i} [[sim:latency:30000]]` })),
    ];
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const summaryPath = join(dir, "summary.json");
    sim().resetStats();
    const r = await runIntoHead(["run", input, "-c", "8", "--ordered", "--max-tokens", "50", "--grace", "0.2", "--summary", summaryPath, "--no-progress"], 3);
    expect(r.code).toBe(130);
    const served = sim().stats();
    const s = summaryOf(summaryPath);
    expect(s.attempts).toBe(served.requests);
    // The slow ones in flight never answered: cancelled, their bill unknown, counted at their worst case.
    const cancelled = s.errors_by_type.cancelled;
    expect(cancelled).toBeGreaterThan(0);
    expect(s.cost_unknown.attempts).toBe(cancelled);
    expect(s.attempts).toBe(served.ok + cancelled);
    // Worst case of one: its prompt at the input price plus max_tokens (50) at the output price.
    expect(s.cost_unknown.worst_case_usd).toBeGreaterThan(cancelled * 50 * OUT);
    expect(s.cost_unknown.worst_case_usd).toBeLessThan(cancelled * (50 * OUT + 100 * IN));
    expect(r.stderr).toContain(`${cancelled} requests got no answer (cancelled, timed out or cut off) and may be billed`);
  });

  it("a fatal error and --max-errors: the attempts in flight when the run stopped are counted too", { timeout: 30_000 }, async () => {
    const dir = tempDir();
    for (const [records, flags] of [
      [Array.from({ length: 40 }, (_, i) => ({ id: `q${i}`, prompt: i === 5 ? "quota [[sim:quota]]" : `fine ${i}` })), []],
      [Array.from({ length: 40 }, (_, i) => ({ id: `e${i}`, prompt: `bad ${i} [[sim:bad_request]]` })), ["--max-errors", "3"]],
    ] as const) {
      const input = writeTemp(dir, "in.jsonl", jsonl([...records]));
      const summaryPath = join(dir, "summary.json");
      sim().resetStats();
      const run = startCli(["run", input, "-c", "6", "--summary", summaryPath, "--no-progress", ...flags], { env: simulator.env() });
      const r = await run.done;
      expect([1, 3]).toContain(r.code);
      const s = summaryOf(summaryPath);
      expect(s.stopped_reason).not.toBeNull();
      expect(s.attempts).toBe(sim().stats().requests);
      expect(s.in_flight_at_stop).toBeGreaterThanOrEqual(0);
      expect(s.records).toBe(40);
    }
  });
});
