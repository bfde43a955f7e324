/**
 * Batch files exported from OpenAI tools carry fields at their empty or default value
 * (`logit_bias: {}`, `service_tier: "auto"`, `modalities: ["text"]`, an assistant turn's
 * `annotations: []`…). On Ollama they ask for nothing Ollama does not do anyway, so the lines run;
 * a real value Ollama has no equivalent for is still refused by name.
 */
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, useSimulator } from "../helpers/cli.js";

const FIXTURE = "test/fixtures/ollama-batch-export-defaults.jsonl";
const { sim } = useSimulator({ recordRequests: true, seed: 6 });

describe("run on Ollama: an exported Batch file's default values", () => {
  it("runs lines whose extra fields only restate defaults, and refuses a real flex tier and a real logit_bias", async () => {
    sim().resetStats();
    const r = await runCli(["run", FIXTURE, "-m", "ollama:llama3.2", "-q"], { env: { OLLAMA_HOST: sim().ollamaHost } });
    expect(r.code).toBe(1);
    const out = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(out.get("exp-1")).toMatchObject({ ok: true, metadata: { ticket: "T-5521" } });
    expect(out.get("exp-2")!.ok).toBe(true);
    const received = sim()
      .requests()
      .map((q) => q.body as Record<string, any>);
    expect(received).toHaveLength(2);
    // Nothing of those fields is sent: Ollama would ignore or refuse them.
    for (const body of received) {
      for (const key of ["logit_bias", "service_tier", "modalities", "store", "parallel_tool_calls", "user", "metadata"]) expect(body).not.toHaveProperty(key);
    }
    const turn = received.find((b) => b.messages.length === 3)!;
    expect(turn.messages[1]).toEqual({ role: "assistant", content: "Yes, we ship to Canada within 5 business days." });

    const refused = out.get("exp-3")!;
    expect(refused).toMatchObject({ ok: false, attempts: 0, error: { type: "bad_request" } });
    expect(refused.error.message).toContain('service_tier: "flex"');
    expect(refused.error.message).toContain('logit_bias: {"1734":-100}');
  });
});
