/**
 * Request files run against an OpenAI-compatible server that is not OpenAI (here the simulator's
 * local model on `/v1`, which reads a request as Ollama's `/v1` does): the output cap is sent
 * under the name such servers read, so it holds; a line asking for `n` choices that comes back
 * with one fails, rather than pass for complete.
 */
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, useSimulator } from "../helpers/cli.js";

const FIXTURE = "test/fixtures/ollama-v1-cookbook.jsonl";
const { sim, env } = useSimulator({ recordRequests: true, seed: 8 });

describe("run against Ollama's /v1 (openai provider, local model)", () => {
  it("sends max_completion_tokens as max_tokens so the cap holds, and fails a line whose n was not honoured", async () => {
    sim().resetStats();
    const r = await runCli(["run", FIXTURE, "-q"], { env: env() });
    expect(r.code).toBe(1);
    const out = new Map(jsonLines(r.stdout).map((l) => [l.metadata.row_id, l]));
    const sent = sim()
      .requests()
      .map((q) => q.body as Record<string, any>);
    expect(sent).toHaveLength(3);
    for (const body of sent) {
      expect(body.max_tokens).toBe(8);
      expect(body).not.toHaveProperty("max_completion_tokens");
    }
    // The cap the gate and --max-cost reserved is the cap the server applied.
    for (const id of [1, 2]) {
      expect(out.get(id)).toMatchObject({ ok: true, finish_reason: "length" });
      expect(out.get(id)!.usage.output_tokens).toBeLessThanOrEqual(8);
    }
    const three = out.get(3)!;
    expect(three).toMatchObject({ ok: false, attempts: 1, error: { type: "invalid_response", code: "missing_choices", retriable: false } });
    expect(three.error.message).toContain("n: 3");
    // Its tokens were billed all the same.
    expect(three.usage.output_tokens).toBeGreaterThan(0);
  });
});
