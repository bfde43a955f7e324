import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, tempDir, useSimulator } from "../helpers/cli.js";

// The simulator serves llama3.2 on its OpenAI endpoint too; the OpenAI price table has no such model.
const { env } = useSimulator({ latencyMs: [1, 5], seed: 3 });
const TICKETS = "test/fixtures/unpriced/tickets.jsonl";

/** The value of the summary table's cost row. */
function costLine(stderr: string): string {
  return stderr
    .split("\n")
    .find((l) => l.trimStart().startsWith("cost "))!
    .trim()
    .replace(/^cost\s+/, "");
}

describe("one rule for an unpriced model (issue 10): null when it answered, 0 when nothing was billed, never a bare $0", () => {
  it("only an unpriced model: records null (a refused one 0), summary cost null with the model's tokens, table and report say unknown", async () => {
    const dir = tempDir();
    const summaryPath = join(dir, "s.json");
    const reportPath = join(dir, "r.html");
    const r = await runCli(
      ["run", TICKETS, "-m", "openai:llama3.2", "--template", "Reply to: {{text}}", "--max-tokens", "8", "--ordered", "--summary", summaryPath, "--report", reportPath, "--no-progress"],
      { env: env() },
    );
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => [l.id, l.ok, l.cost_usd])).toEqual([
      ["T-1001", true, null],
      ["T-1002", true, null],
      ["T-1003", false, 0], // refused with a 400: nothing billed
    ]);
    expect(lines[2]!.steps[0].cost_usd).toBe(0);
    const s = JSON.parse(readFileSync(summaryPath, "utf8"));
    const tokens = lines[0]!.usage.input_tokens + lines[0]!.usage.output_tokens + lines[1]!.usage.input_tokens + lines[1]!.usage.output_tokens;
    expect(s).toMatchObject({ cost_usd: null, cost_by_model: { "llama3.2": null }, cost_by_step: { generate: null }, unpriced_models: ["llama3.2"] });
    expect(s.usage_by_model["llama3.2"].input_tokens + s.usage_by_model["llama3.2"].output_tokens).toBe(tokens);
    expect(costLine(r.stderr)).toBe(`unknown (unpriced: llama3.2 ${tokens} tokens)`);
    expect(readFileSync(reportPath, "utf8")).toContain(`<td>cost</td><td>unknown (unpriced: llama3.2 ${tokens} tokens)</td>`);
  });

  it("a priced and an unpriced model: the known part and the unknown part, each named", async () => {
    const dir = tempDir();
    const summaryPath = join(dir, "s.json");
    const r = await runCli(["run", "test/fixtures/unpriced/tickets.jsonl", "-p", "test/fixtures/unpriced/two-models.yaml", "--ordered", "--summary", summaryPath, "--no-progress"], { env: env() });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.cost_usd)).toEqual([null, null, 0]);
    for (const l of lines.slice(0, 2)) {
      expect(l.steps.map((st: { model: string; cost_usd: number | null }) => [st.model, st.cost_usd === null ? null : typeof st.cost_usd])).toEqual([
        ["llama3.2", null],
        ["gpt-4o-mini", "number"],
      ]);
    }
    const s = JSON.parse(readFileSync(summaryPath, "utf8"));
    const polish = lines[0]!.steps[1].cost_usd + lines[1]!.steps[1].cost_usd;
    expect(s.cost_usd).toBeNull();
    expect(s.cost_by_model["gpt-4o-mini"]).toBeCloseTo(polish, 9);
    expect(s.cost_by_model["llama3.2"]).toBeNull();
    expect(s.cost_by_step).toMatchObject({ draft: null });
    expect(s.cost_by_step.polish).toBeCloseTo(polish, 9);
    const t = s.usage_by_model["llama3.2"];
    expect(costLine(r.stderr)).toBe(`$${polish.toFixed(6)} + unknown (unpriced: llama3.2 ${t.input_tokens + t.output_tokens} tokens)`);
  });
});
