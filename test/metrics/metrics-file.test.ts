import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [1, 5], seed: 2 });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

const LINE_KEYS = [
  "ts",
  "elapsed_s",
  "rpm",
  "tpm",
  "in_flight",
  "queued",
  "records_done",
  "ok",
  "failed",
  "unsent",
  "errors_per_min",
  "latency_ms_avg",
  "waits",
  "errors_by_type",
  "cost_usd",
  "priced_cost_usd",
  "unpriced_tokens",
  "requests",
  "tokens",
];

describe("--metrics-file", () => {
  it("appends one JSON line per interval with live rates, waits, errors and cost; the last matches the run", async () => {
    const dir = tempDir();
    // 24 records at ~300 ms each, 4 at a time, one failing for good: a run of about two seconds.
    const records = Array.from({ length: 24 }, (_, i) => ({ id: `r${i}`, prompt: `item ${i} [[sim:latency:300]]${i === 5 ? " [[sim:context_length]]" : ""}` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const metricsPath = join(dir, "metrics.jsonl");
    const summaryPath = join(dir, "s.json");
    const r = await runCli(["run", input, "-c", "4", "--rpm", "6000", "--max-tokens", "8", "--metrics-file", metricsPath, "--metrics-interval", "0.25", "--summary", summaryPath, "-q"], { env });
    expect(r.code).toBe(1);
    const lines = jsonLines(readFileSync(metricsPath, "utf8"));
    expect(lines.length).toBeGreaterThanOrEqual(3);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(expect.arrayContaining(LINE_KEYS));
      expect(Object.keys(l.waits).sort()).toEqual(["budget", "retry", "rpm", "tpm"]);
      expect(Object.keys(l.queued).sort()).toEqual(["budget", "rpm", "tpm"]);
      expect(Number.isNaN(Date.parse(l.ts))).toBe(false);
      expect(l.in_flight).toBeLessThanOrEqual(4);
    }
    for (let i = 1; i < lines.length; i++) {
      expect(lines[i]!.elapsed_s).toBeGreaterThanOrEqual(lines[i - 1]!.elapsed_s);
      expect(lines[i]!.records_done).toBeGreaterThanOrEqual(lines[i - 1]!.records_done);
      expect(lines[i]!.requests).toBeGreaterThanOrEqual(lines[i - 1]!.requests);
    }
    expect(lines.some((l) => l.in_flight > 0)).toBe(true);
    expect(lines.some((l) => l.rpm > 0 && l.tpm > 0)).toBe(true);
    const last = lines[lines.length - 1]!;
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(last.records_done).toBe(24);
    expect(last.ok).toBe(23);
    expect(last.failed).toBe(1);
    expect(last.errors_by_type).toEqual({ context_length: 1 });
    expect(last.in_flight).toBe(0);
    expect(last.cost_usd).toBeCloseTo(summary.cost_usd, 9);
    expect(last.tokens).toBe(summary.usage.input_tokens + summary.usage.output_tokens);
    expect(last.waits.rpm.count).toBe(summary.backoff.rpm_waits);
    expect(last.budget).toBeUndefined();
  });

  it("rejects a --metrics-interval that is not a number of seconds", async () => {
    const r = await runCli(["run", "samples/prompts.jsonl", "--metrics-file", "/tmp/x.jsonl", "--metrics-interval", "soon"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--metrics-interval must be a number between 0.05 and 3600, got "soon"');
  });
});
