import { describe, expect, it } from "vitest";
import { jsonl, jsonLines, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { env } = useSimulator({ latencyMs: [1, 5] });

const occurrences = (text: string, part: string) => text.split(part).length - 1;

function input(dir: string): string {
  return writeTemp(
    dir,
    "questions.jsonl",
    jsonl([
      { id: "q1", prompt: "What is a token bucket?" },
      { id: "q2", prompt: "Name a prime number." },
    ]),
  );
}

describe("a TPM limit with requests that set no max_tokens", () => {
  it("--tpm without --max-tokens: one warning saying what each request reserves and how many fit", async () => {
    const dir = tempDir();
    const r = await runCli(["run", input(dir), "--tpm", "600000", "--no-progress"], { env: env() });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(2);
    const warning =
      "warning: --tpm 600000 without --max-tokens: each request that sets no max_tokens reserves 4,096 output tokens (its worst case), " +
      "so at most ~146 requests/min fit; set --max-tokens (or params.max_tokens in the pipeline) near your answers' real length";
    expect(r.stderr).toContain(warning);
    expect(occurrences(r.stderr, "reserves 4,096 output tokens")).toBe(1);
  });

  it("the pipeline's limits.tpm and a step without max_tokens: the warning names the file and the step", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(
      dir,
      "two-steps.yaml",
      `name: answer-then-label
limits: {tpm: 600000}
steps:
  - {id: answer, method: generate, prompt: "{{prompt}}"}
  - {id: label, method: generate, prompt: "One word for: {{steps.answer.output}}", params: {max_tokens: 5}}
`,
    );
    const r = await runCli(["run", input(dir), "-p", pipeline, "--no-progress"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`warning: limits.tpm 600000 (${pipeline}) with no max_tokens for step answer: each request that sets no max_tokens reserves 4,096`);
    expect(occurrences(r.stderr, "reserves 4,096 output tokens")).toBe(1);
  });

  it("says nothing when it does not matter: max_tokens set, or no TPM limit", async () => {
    const dir = tempDir();
    const withCap = await runCli(["run", input(dir), "--tpm", "600000", "--max-tokens", "50", "--no-progress"], { env: env() });
    expect(withCap.code).toBe(0);
    expect(withCap.stderr).not.toContain("reserves");
    const noLimit = await runCli(["run", input(dir), "--no-progress"], { env: env() });
    expect(noLimit.code).toBe(0);
    expect(noLimit.stderr).not.toContain("reserves");
  });
});
