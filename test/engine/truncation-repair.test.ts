/**
 * `on_truncated: retry` with a schema step: the raised output limit holds for the step's repair
 * calls too, the failure message counts every call, and with both caps in a body the one that is
 * sent is raised.
 */
import { describe, expect, it } from "vitest";
import { defaultPipeline, parsePipeline, type Pipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { InputRecord, LlmRequest, LlmResponse } from "../../src/types.js";
import { yaml } from "../config/helpers.js";
import { collect, FakeProvider } from "./fake-provider.js";

const answer = (text: string, finishReason = "stop"): Promise<LlmResponse> =>
  Promise.resolve({ text, finishReason, model: "gpt-4o-mini", usage: { input_tokens: 10, output_tokens: 5, cached_tokens: 0 } });

async function run(lines: string[] | Pipeline, behave: (prompt: string, call: number, request: LlmRequest) => Promise<LlmResponse>, record: Partial<InputRecord> = { vars: { text: "hello" } }) {
  const provider = new FakeProvider(behave);
  const pipeline = Array.isArray(lines) ? parsePipeline(yaml("name: t", "steps:", ...lines), "t.yaml") : lines;
  const engine = new GenerationEngine({ pipeline, provider: () => provider, prices: loadPriceTable(), retryTiming: { baseMs: 1, maxMs: 2 } });
  const [result] = await collect(engine.run([{ id: "r0", line: 1, vars: {}, ...record }]));
  return { result: result!, provider };
}

const SCHEMA = "{type: object, required: [label], properties: {label: {enum: [a, b]}}}";

describe("on_truncated: retry under schema repair", () => {
  it("keeps the doubled max_tokens for the repair calls and counts the truncation retry in the message", async () => {
    const { result, provider } = await run(
      [`  - {id: g, method: generate, prompt: '{{text}}', schema: ${SCHEMA}, on_truncated: retry, repair_attempts: 1, params: {max_tokens: 10}}`],
      // cut off at 10; whole at 20 but not matching the schema; the repair too.
      (_p, call) => (call === 1 ? answer('{"lab', "length") : answer('{"label": "z"}')),
    );
    expect(provider.requests.map((r) => r.params.max_tokens)).toEqual([10, 20, 20]);
    expect(result.ok).toBe(false);
    expect(result.error!.message).toMatch(/\(after 3 calls, 1 repair\)$/);
    expect(result.steps[0]).toMatchObject({ attempts: 3, repairs: 1 });
  });

  it("raises the cap that is sent when a body gives both (the smaller holds, as on Ollama)", async () => {
    // A cookbook line with both caps: max_completion_tokens is read, max_tokens is sent beside it.
    const { result, provider } = await run({ ...defaultPipeline(), on_truncated: "retry" }, (_p, call) => (call === 1 ? answer("cut", "length") : answer("whole")), {
      messages: [{ role: "user", content: "Write a haiku." }],
      body: "chat",
      params: { max_tokens: 50, max_tokens_field: "max_completion_tokens" },
      extra: { max_tokens: 10 },
    });
    expect(result.ok).toBe(true);
    const [first, second] = provider.requests;
    expect([first!.params.max_tokens, first!.extra!.max_tokens]).toEqual([50, 10]);
    // The cut came at 10 (the smaller): the retry doubles that one, and sends no cap below it.
    expect([second!.params.max_tokens, second!.extra!.max_tokens]).toEqual([20, 20]);
  });
});
