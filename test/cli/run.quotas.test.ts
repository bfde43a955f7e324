import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [5, 20] });

describe("per-model quotas in a run's figures", () => {
  it("reports each model's quota (limits in force, requests, tokens, waits, 429s) in --summary, the stderr table and --metrics-file", async () => {
    const dir = tempDir();
    const summaryPath = join(dir, "s.json");
    const metricsPath = join(dir, "metrics.jsonl");
    simulator.sim().resetStats();
    const r = await runCli(
      [
        "run",
        "test/fixtures/quotas/tickets.jsonl",
        "-p",
        "test/fixtures/quotas/two-models.yaml",
        "--summary",
        summaryPath,
        "--metrics-file",
        metricsPath,
        "--metrics-interval",
        "0.05",
        "--no-progress",
      ],
      { env: simulator.env() },
    );
    expect(r.code).toBe(0);
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    // Today's totals are unchanged, the quotas are beside them.
    expect(summary).toMatchObject({ records: 6, ok: 6, attempts: 12, backoff: { rpm_waits: 0, tpm_waits: 0 } });
    expect(summary.quotas).toHaveLength(2);
    const [mini, big] = summary.quotas;
    // The pipeline's limits on each model's quota; the careful step's own limits on gpt-4o's.
    expect(mini).toMatchObject({ rpm_limit: 3000, rpm_learned: false, requests: 6, rate_limited: 0, rpm_waits: 0, tpm_waits: 0 });
    expect(big).toMatchObject({ rpm_limit: 1200, tpm_limit: 200_000, tpm_learned: false, requests: 6, rate_limited: 0 });
    // With no TPM told, the server's reported limit is the one in force, and said to be learned.
    expect(mini).toMatchObject({ tpm_learned: true });
    expect(mini.quota).toMatch(/^gpt-4o-mini \(127\.0\.0\.1:\d+, key [0-9a-f]{6}\)$/);
    expect(big.quota).toMatch(/^gpt-4o \(/);
    expect(mini.tokens + big.tokens).toBe(summary.usage.input_tokens + summary.usage.output_tokens);
    expect(JSON.stringify(summary.quotas)).not.toContain("sk-test");
    // The human table has one row per quota.
    expect(r.stderr).toMatch(
      /quota\s+gpt-4o-mini \(127\.0\.0\.1:\d+, key [0-9a-f]{6}\): 6 requests, [\d,]+ tokens · limits 3,000 RPM, 100,000,000 TPM \(learned\) · waits rpm 0 \(0 ms\), tpm 0 \(0 ms\) · 0 × 429/,
    );
    expect(r.stderr).toMatch(/quota\s+gpt-4o \(.*\): 6 requests, .* limits 1,200 RPM, 200,000 TPM/);
    // The last metrics line carries the same figures.
    const last = jsonLines(readFileSync(metricsPath, "utf8")).at(-1)!;
    expect(last.quotas.map((q: { quota: string; requests: number }) => [q.quota, q.requests])).toEqual([
      [mini.quota, 6],
      [big.quota, 6],
    ]);
  });

  it("refuses a step's limits that are not positive whole numbers, or that only the run can set, before sending anything", async () => {
    const dir = tempDir();
    const yaml = join(dir, "bad.yaml");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(yaml, ["name: bad-limits", "steps:", "  - id: a", "    method: generate", "    prompt: '{{text}}'", "    limits: {rpm: ten, concurrency: 4}", ""].join("\n"));
    simulator.sim().resetStats();
    const r = await runCli(["run", "test/fixtures/quotas/tickets.jsonl", "-p", yaml], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("steps[0].limits.rpm");
    expect(r.stderr).toContain("concurrency");
    expect(simulator.sim().stats().requests).toBe(0);
  });
});
