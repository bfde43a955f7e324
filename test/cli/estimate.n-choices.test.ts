/**
 * `estimate` with `n`: the typical answer (half the cap, at most 500 tokens) is per choice, and a
 * call with `n` writes n of them; `--assume-output` is per answer too.
 */
import { describe, expect, it } from "vitest";
import { jsonl, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const line = (id: string, body: Record<string, unknown>) => ({
  custom_id: id,
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Write a long product description for a hiking backpack." }], ...body },
});

describe("estimate: n choices", () => {
  it("assumes the typical answer once per choice, not once per call", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "n.jsonl", jsonl([line("one", { max_tokens: 2000 }), line("three", { max_tokens: 2000, n: 3 })]));
    const r = await runCli(["estimate", input, "--json"]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.output_tokens_max).toBe(2000 + 3 * 2000);
    // 500 per answer (half of 2000, capped at 500): 500 for the first line, 3 × 500 for the second.
    expect(e.output_tokens_assumed).toBe(500 + 3 * 500);
  });

  it("--assume-output is per answer, capped at each answer's max_tokens", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "n.jsonl", jsonl([line("three", { max_tokens: 50, n: 3 })]));
    const r = await runCli(["estimate", input, "--json", "--assume-output", "80"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).output_tokens_assumed).toBe(3 * 50);
    const small = await runCli(["estimate", input, "--json", "--assume-output", "20"]);
    expect(JSON.parse(small.stdout).output_tokens_assumed).toBe(3 * 20);
  });
});
