/**
 * The estimate's time is bound by the slowest quota, as a run's is: each model of an endpoint has
 * its own RPM/TPM (a step may set its own), so two steps on two models run side by side.
 */
import { describe, expect, it } from "vitest";
import { runCli, tempDir, writeTemp } from "../helpers/cli.js";

const env = { OPENAI_API_KEY: "sk-test-123456" };

function pipeline(secondModel: string, secondLimits = ""): string {
  return writeTemp(
    tempDir(),
    "two-steps.yaml",
    [
      "name: two-steps",
      "params: {max_tokens: 40}",
      "steps:",
      "  - {id: gist, method: generate, model: gpt-4o-mini, prompt: 'Gist: {{text}}'}",
      `  - {id: reply, method: generate, model: ${secondModel}, prompt: 'Reply to: {{steps.gist.output}}'${secondLimits}}`,
      "",
    ].join("\n"),
  );
}

async function estimate(p: string, ...flags: string[]): Promise<{ est_wall_s: number; assumptions: { wall: string } }> {
  const r = await runCli(["estimate", "samples/tickets.jsonl", "-p", p, "--json", ...flags], { env });
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("estimate: time per quota", () => {
  it("two models: --rpm applies to each, so 36 calls of each take as long as 36 calls", async () => {
    const e = await estimate(pipeline("gpt-4o"), "--rpm", "300");
    expect(e.est_wall_s).toBeCloseTo((36 / 300) * 60, 5);
    expect(e.assumptions.wall).toContain("36 calls of ");
  });

  it("one model in two steps: one quota, 72 calls", async () => {
    const e = await estimate(pipeline("gpt-4o-mini"), "--rpm", "300");
    expect(e.est_wall_s).toBeCloseTo((72 / 300) * 60, 5);
    expect(e.assumptions.wall).toContain("72 calls at 300 RPM");
  });

  it("a step's own limits bind its quota", async () => {
    const e = await estimate(pipeline("gpt-4o", ", limits: {rpm: 60}"), "--rpm", "300");
    expect(e.est_wall_s).toBeCloseTo((36 / 60) * 60, 5);
    expect(e.assumptions.wall).toContain("36 calls of gpt-4o at 60 RPM");
  });
});
