/**
 * A run killed (-9) before its first result line was written may still have been billed: its
 * sidecar holds `spent_usd` beside an empty results file. `--resume` of that file keeps the spend
 * (`--max-cost` covers the whole results file), rather than starting the count again at 0.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, runCli, startCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [5, 10] });

const spent = (out: string): number | undefined => {
  try {
    return (JSON.parse(readFileSync(`${out}.meta.json`, "utf8")) as { spent_usd?: number }).spent_usd;
  } catch {
    return undefined; // not written yet, or being replaced
  }
};

async function until(ready: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ready()) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("--resume after a run killed before its first result line", () => {
  it("keeps what the sidecar says was spent", { timeout: 90_000 }, async () => {
    const dir = tempDir();
    // Each request's first attempt is left unanswered (until its client goes away).
    const records = Array.from({ length: 4 }, (_, i) => ({ id: `T-${i}`, prompt: `Classify ticket ${i}: refund please [[sim:fail:1:hang]]` }));
    const input = writeTemp(dir, "tickets.jsonl", jsonl(records));
    const out = join(dir, "results.jsonl");
    const args = ["run", input, "-o", out, "--max-cost", "1", "--max-tokens", "50", "--timeout", "120", "-q"];
    const { child, done } = startCli(args, { env: simulator.env() });
    // The sidecar's spend is saved every few seconds; the requests in flight are held in it.
    await until(() => (spent(out) ?? 0) > 0, "a spend in the sidecar");
    child.kill("SIGKILL");
    await done;
    expect(existsSync(out) && statSync(out).size).toBe(0);
    const before = spent(out)!;

    const resumed = await runCli([...args, "--resume", "--summary", join(dir, "summary.json")], { env: simulator.env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(resumed.stderr).toContain(`--max-cost 1 covers the whole results file: $${before} was spent on ${out} by earlier runs`);
    const summary = JSON.parse(readFileSync(join(dir, "summary.json"), "utf8"));
    expect(summary.budget.spent_before_usd).toBe(before);
    expect(spent(out)).toBeGreaterThan(before);
  });
});
