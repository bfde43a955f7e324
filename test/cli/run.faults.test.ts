import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ seed: 11, faults: { server500: 0.05, overloaded503: 0.03, reset: 0.02, hang: 0.01, truncated: 0.01 } });
});
afterAll(() => sim.close());

describe("a bad afternoon at the provider", () => {
  it("2,000 records through 5% 500s, 3% 503s, 2% resets, 1% hangs, 1% truncated bodies: all ok, retries match the faults", { timeout: 120_000 }, async () => {
    const dir = tempDir();
    const records = Array.from({ length: 2000 }, (_, i) => ({ id: i, prompt: `record ${i}` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const out = join(dir, "out.jsonl");
    const summaryPath = join(dir, "summary.json");
    sim.resetStats();
    // A short timeout for the hangs; a generous one against a loaded machine, where a timed-out
    // request the server did answer would be a retry without a fault.
    const r = await runCli(["run", input, "-o", out, "--summary", summaryPath, "-c", "64", "--timeout", "2", "--max-retries", "10", "-q"], {
      env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim.openaiBaseUrl },
    });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    const stats = sim.stats();
    const faults = stats.faults;
    // Every kind of fault happened, so every kind of recovery was exercised.
    for (const kind of ["server500", "overloaded503", "reset", "hang", "truncated"] as const) expect(faults[kind]).toBeGreaterThan(0);
    const totalFaults = faults.server500 + faults.overloaded503 + faults.reset + faults.hang + faults.truncated;
    expect(summary).toMatchObject({ records: 2000, ok: 2000, failed: 0, not_attempted: 0 });
    expect(summary.backoff.retries).toBe(totalFaults);
    expect(summary.attempts).toBe(2000 + totalFaults);
    expect(stats.requests).toBe(summary.attempts);
    expect(stats.ok).toBe(2000);
    const lines = readFileSync(out, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; ok: boolean });
    expect(new Set(lines.filter((l) => l.ok).map((l) => l.id)).size).toBe(2000);
  });
});
