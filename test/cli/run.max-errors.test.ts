import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, jsonl, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();

async function run(records: object[], flags: string[]) {
  const dir = tempDir();
  const input = writeTemp(dir, "in.jsonl", jsonl(records));
  const summaryPath = join(dir, "s.json");
  simulator.sim().resetStats();
  const r = await runCli(["run", input, "--summary", summaryPath, "--no-progress", ...flags], { env: simulator.env() });
  return { r, lines: jsonLines(r.stdout), summary: JSON.parse(readFileSync(summaryPath, "utf8")) };
}

describe("--max-errors", () => {
  it("stops a systematically failing run after n failures: exit 1, the rest not attempted", async () => {
    const records = Array.from({ length: 100 }, (_, i) => ({ id: i, prompt: `bad ${i} [[sim:bad_request]]` }));
    const { r, lines, summary } = await run(records, ["-c", "2", "--max-errors", "5"]);
    expect(r.code).toBe(1);
    expect(lines).toHaveLength(100);
    const failed = lines.filter((l) => l.error?.type === "bad_request").length;
    expect(failed).toBeGreaterThanOrEqual(5);
    expect(failed).toBeLessThanOrEqual(5 + 2); // those already in flight when the limit was hit
    expect(simulator.sim().stats().requests).toBe(failed);
    expect(summary).toMatchObject({ records: 100, failed, not_attempted: 100 - failed, exit_code: 1 });
    expect(summary.stopped_reason).toMatch(/^max_errors: \d+ records failed \(--max-errors 5\)/);
    expect(r.stderr).toContain("the run stopped: max_errors");
  });

  it("with a percentage, judges the share of finished records once 20 have finished", async () => {
    const records = Array.from({ length: 200 }, (_, i) => ({ id: i, prompt: i % 2 === 0 ? `ok ${i}` : `bad ${i} [[sim:bad_request]]` }));
    const stopped = await run(records, ["-c", "1", "--max-errors", "40%"]);
    expect(stopped.r.code).toBe(1);
    expect(stopped.summary.ok + stopped.summary.failed).toBe(20);
    expect(stopped.summary.stopped_reason).toMatch(/10 of 20 records failed \(50%, --max-errors 40%\)/);
    const kept = await run(records.slice(0, 60), ["-c", "4", "--max-errors", "60%"]);
    expect(kept.r.code).toBe(1);
    expect(kept.summary).toMatchObject({ ok: 30, failed: 30, not_attempted: 0, stopped_reason: null });
  });

  it("rejects a bad value before sending anything (exit 2)", async () => {
    simulator.sim().resetStats();
    const r = await runCli(["run", "samples/prompts.jsonl", "--max-errors", "ten"], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--max-errors must be a positive whole number of records or a percentage above 0 and up to 100 (e.g. 50 or 5%), got "ten"');
    expect(simulator.sim().stats().requests).toBe(0);
  });
});
