/**
 * An unpriced model's cost is unknown in the live metrics too, by the summary's rule: the
 * `--metrics-file` line says `cost_usd: null` with the unpriced tokens beside it (and the known,
 * priced part), never `0`; the sidecar's `spent_usd` keeps meaning the known spend.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const { env } = useSimulator({ latencyMs: [1, 5], seed: 3 });
const TICKETS = "test/fixtures/unpriced/tickets.jsonl";
const TWO_MODELS = "test/fixtures/unpriced/two-models.yaml";

describe("unpriced models in the live metrics and the sidecar", () => {
  it("--metrics-file: cost_usd null once an unpriced model answered, its tokens in unpriced_tokens, as the summary", async () => {
    const dir = tempDir();
    const metricsPath = join(dir, "metrics.jsonl");
    const summaryPath = join(dir, "s.json");
    const r = await runCli(["run", TICKETS, "-m", "openai:llama3.2", "--template", "Reply to: {{text}}", "--max-tokens", "8", "--metrics-file", metricsPath, "--summary", summaryPath, "-q"], {
      env: env(),
    });
    expect(r.code).toBe(1);
    const s = JSON.parse(readFileSync(summaryPath, "utf8"));
    const last = jsonLines(readFileSync(metricsPath, "utf8")).at(-1)!;
    expect(s.cost_usd).toBeNull();
    expect(last.cost_usd).toBeNull();
    expect(last.priced_cost_usd).toBe(0);
    const t = s.usage_by_model["llama3.2"];
    expect(last.unpriced_tokens).toBe(t.input_tokens + t.output_tokens);
    expect(last.unpriced_tokens).toBeGreaterThan(0);
  });

  it("a priced and an unpriced step: the live line and the sidecar's spent_usd carry the priced part, the line null in cost_usd", async () => {
    const dir = tempDir();
    const output = join(dir, "results.jsonl");
    const metricsPath = join(dir, "metrics.jsonl");
    const summaryPath = join(dir, "s.json");
    const r = await runCli(["run", TICKETS, "-p", TWO_MODELS, "-o", output, "--metrics-file", metricsPath, "--summary", summaryPath, "--no-progress"], { env: env() });
    expect(r.code).toBe(1);
    const s = JSON.parse(readFileSync(summaryPath, "utf8"));
    const priced = s.cost_by_model["gpt-4o-mini"];
    expect(priced).toBeGreaterThan(0);
    const last = jsonLines(readFileSync(metricsPath, "utf8")).at(-1)!;
    expect(last.cost_usd).toBeNull();
    expect(last.priced_cost_usd).toBeCloseTo(priced, 9);
    const draft = s.usage_by_model["llama3.2"];
    expect(last.unpriced_tokens).toBe(draft.input_tokens + draft.output_tokens);
    // The known spend: what the priced model cost (the unpriced model's is unknown, not 0).
    const meta = JSON.parse(readFileSync(`${output}.meta.json`, "utf8"));
    expect(meta.spent_usd).toBeCloseTo(priced, 9);
  });
});
