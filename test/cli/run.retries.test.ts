import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ seed: 5 });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

async function runRecords(records: object[], extra: string[] = []) {
  const dir = tempDir();
  const file = writeTemp(dir, "in.jsonl", jsonl(records));
  const summaryPath = join(dir, "summary.json");
  const r = await runCli(["run", file, "--summary", summaryPath, "-q", ...extra], { env });
  const lines = jsonLines(r.stdout);
  const byId: Record<string, any> = Object.fromEntries(lines.map((l) => [l.id, l]));
  const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
  return { r, lines, byId, summary };
}

describe("retries: the engine retries what can succeed and nothing else", () => {
  it("retries 500s, 503s, connection resets, truncated bodies and 429s, and counts every attempt", async () => {
    const { r, byId, summary } = await runRecords([
      { id: "s500", prompt: "one [[sim:fail:2:500]]" },
      { id: "s503", prompt: "two [[sim:fail:1:503]]" },
      { id: "reset", prompt: "three [[sim:fail:1:reset]]" },
      { id: "trunc", prompt: "four [[sim:fail:1:truncated]]" },
      { id: "r429", prompt: "five [[sim:fail:2:429]]" },
      { id: "clean", prompt: "six" },
    ]);
    expect(r.code).toBe(0);
    expect(byId.s500.attempts).toBe(3);
    expect(byId.s500.backoff.retries).toBe(2);
    expect(byId.s503.attempts).toBe(2);
    expect(byId.reset.attempts).toBe(2);
    expect(byId.trunc.attempts).toBe(2);
    expect(byId.r429.attempts).toBe(3);
    expect(byId.clean.attempts).toBe(1);
    for (const l of Object.values(byId)) {
      expect(l.ok).toBe(true);
      expect(l.backoff.retries).toBe(l.attempts - 1);
      if (l.backoff.retries > 0) expect(l.backoff.retry_wait_ms).toBeGreaterThan(0);
    }
    // The summary is the sum of the records.
    const sum = (k: string) => Object.values(byId).reduce((a, l) => a + l.backoff[k], 0);
    for (const k of ["retries", "retry_wait_ms", "rpm_waits", "tpm_waits"]) expect(summary.backoff[k]).toBe(sum(k));
    expect(summary.attempts).toBe(Object.values(byId).reduce((a, l) => a + l.attempts, 0));
  });

  it("gives up after --max-retries and reports the last error", async () => {
    const { r, byId, summary } = await runRecords(
      [
        { id: "x", prompt: "always fails [[sim:fail:10:500]]" },
        { id: "y", prompt: "fine" },
      ],
      ["--max-retries", "1"],
    );
    expect(r.code).toBe(1);
    expect(byId.x.ok).toBe(false);
    expect(byId.x.attempts).toBe(2);
    expect(byId.x.error).toMatchObject({ type: "server", status: 500, retriable: true });
    expect(byId.y.ok).toBe(true);
    expect(summary.failed).toBe(1);
    expect(summary.errors_by_type).toEqual({ server: 1 });
  });

  it("does not retry a context-length error and keeps going with the rest (exit 1)", async () => {
    const { r, byId } = await runRecords([
      { id: "big", prompt: "huge [[sim:context_length]]" },
      { id: "ok", prompt: "fine" },
    ]);
    expect(r.code).toBe(1);
    expect(byId.big.error).toMatchObject({ type: "context_length", status: 400, retriable: false });
    expect(byId.big.attempts).toBe(1);
    expect(byId.ok.ok).toBe(true);
  });

  it("stops admission on insufficient_quota without retrying it: exit 3, the rest not attempted", async () => {
    const records = [{ id: "q", prompt: "quota [[sim:quota]]" }, ...Array.from({ length: 30 }, (_, i) => ({ id: `n${i}`, prompt: `later ${i} [[sim:latency:30]]` }))];
    const { r, lines, byId, summary } = await runRecords(records, ["-c", "1"]);
    expect(r.code).toBe(3);
    expect(lines).toHaveLength(records.length);
    expect(byId.q.error).toMatchObject({ type: "insufficient_quota", status: 429, retriable: false });
    expect(byId.q.attempts).toBe(1);
    const notAttempted = lines.filter((l) => l.error?.type === "not_attempted");
    expect(notAttempted.length).toBeGreaterThanOrEqual(records.length - 2);
    for (const l of notAttempted) {
      expect(l.attempts).toBe(0);
      expect(l.error.message).toContain("insufficient_quota");
    }
    expect(summary.not_attempted).toBe(notAttempted.length);
    expect(summary.stopped_reason).toMatch(/^fatal: insufficient_quota/);
    expect(r.stderr).toContain("the run stopped");
  });
});
