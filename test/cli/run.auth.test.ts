import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "sk-right-key-000", latencyMs: [5, 5] });
});
afterAll(() => sim.close());

describe("auth errors are fatal and never retried", () => {
  it("exits 3, sends at most one request per slot, reports the rest not attempted, never prints the key", async () => {
    const dir = tempDir();
    const records = Array.from({ length: 50 }, (_, i) => ({ id: i, prompt: `p${i}` }));
    const file = writeTemp(dir, "in.jsonl", jsonl(records));
    sim.resetStats();
    const wrongKey = "sk-wrong-key-abcdef123456";
    const r = await runCli(["run", file, "-c", "4", "--no-progress"], { env: { OPENAI_API_KEY: wrongKey, OPENAI_BASE_URL: sim.openaiBaseUrl } });
    expect(r.code).toBe(3);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(50);
    expect(lines.filter((l) => l.error?.type === "auth").length).toBeGreaterThanOrEqual(1);
    expect(lines.every((l) => l.error?.type === "auth" || l.error?.type === "not_attempted")).toBe(true);
    expect(lines.filter((l) => l.error?.type === "auth").every((l) => l.attempts === 1)).toBe(true);
    expect(sim.stats().requests).toBeLessThanOrEqual(4);
    expect(r.stdout).not.toContain(wrongKey);
    expect(r.stderr).not.toContain(wrongKey);
  });

  it("refuses to start without OPENAI_API_KEY for OpenAI's own API (exit 2, nothing sent)", async () => {
    sim.resetStats();
    for (const env of [{}, { OPENAI_BASE_URL: "https://api.openai.com/v1" }]) {
      const r = await runCli(["run", "samples/prompts.jsonl", "-q"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("OPENAI_API_KEY is not set");
      expect(r.stdout).toBe("");
    }
    expect(sim.stats().requests).toBe(0);
  });
});
