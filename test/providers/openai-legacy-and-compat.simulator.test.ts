/**
 * The OpenAI provider through the real `openai` client against the simulator: legacy
 * `functions`/`function_call` answered as OpenAI answers them, the prompt fields the model reads
 * (`functions`, a JSON schema, `prediction`) counted the same by the client's estimate and the
 * server, Ollama's `/v1` as it really reads a request (no `max_completion_tokens`, `n` or
 * logprobs), and fine-tuned model names served as their base model.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimateRequestTokens } from "../../src/tokens/token-estimate.js";
import { OpenAIProvider } from "../../src/providers/openai/openai-provider.js";
import { DEFAULT_MODELS, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { LlmRequest, ProviderCallOptions } from "../../src/types.js";
import { providerFailure } from "./failure.js";

let sim: SimulatorHandle;
let openai: OpenAIProvider;
const opts = (): ProviderCallOptions => ({ signal: new AbortController().signal, timeoutMs: 10_000 });
const messages: LlmRequest["messages"] = [{ role: "user", content: "What is the weather like in Paris today?" }];
const WEATHER = {
  name: "get_current_weather",
  description: "Get the current weather in a given city",
  parameters: { type: "object", properties: { city: { type: "string" }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } }, required: ["city", "unit"] },
};

beforeAll(async () => {
  sim = await startSimulator({ rpm: 100_000, tpm: 100_000_000, apiKey: "sk-sim", seed: 5, quiet: true, recordRequests: true });
  openai = new OpenAIProvider({ apiKey: "sk-sim", baseURL: sim.openaiBaseUrl });
});
afterAll(() => sim.close());

async function rawChat(body: Record<string, unknown>): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(`${sim.openaiBaseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json", authorization: "Bearer sk-sim" }, body: JSON.stringify(body) });
  return { status: res.status, body: await res.json(), headers: res.headers };
}

describe("legacy functions / function_call", () => {
  it("answers with message.function_call, arguments that fit the parameters, finish_reason function_call", async () => {
    const r = await openai.generate({ model: "gpt-4o-mini", messages, params: {}, extra: { functions: [WEATHER], function_call: "auto" } }, opts());
    expect(r.finishReason).toBe("function_call");
    expect(r.text).toBe("");
    expect(r.details!.function_call!.name).toBe("get_current_weather");
    const args = JSON.parse(r.details!.function_call!.arguments);
    expect(typeof args.city).toBe("string");
    expect(["celsius", "fahrenheit"]).toContain(args.unit);
    expect(r.details!.tool_calls).toBeUndefined();
  });

  it("calls the named function, calls none with function_call none, and refuses function_call without functions", async () => {
    const lookup = { name: "lookup_order", parameters: { type: "object", properties: { order_id: { type: "string" } }, required: ["order_id"] } };
    const named = await openai.generate({ model: "gpt-4o-mini", messages, params: { n: 2 }, extra: { functions: [WEATHER, lookup], function_call: { name: "lookup_order" } } }, opts());
    expect(named.details!.choices!.map((c) => [c.finish_reason, c.function_call!.name])).toEqual([
      ["function_call", "lookup_order"],
      ["function_call", "lookup_order"],
    ]);
    const none = await openai.generate({ model: "gpt-4o-mini", messages, params: {}, extra: { functions: [WEATHER], function_call: "none" } }, opts());
    expect(none.finishReason).toBe("stop");
    expect(none.text).not.toBe("");
    expect(none.details).toBeUndefined();
    const err = await providerFailure(openai, { model: "gpt-4o-mini", messages, params: {}, extra: { function_call: "auto" } }, opts());
    expect(err).toMatchObject({ type: "bad_request", status: 400 });
  });
});

describe("prompt fields the model reads: the estimate and the server's prompt_tokens agree", () => {
  const bare = (): LlmRequest => ({ model: "gpt-4o-mini", messages, params: { max_tokens: 20 } });
  const cases: [string, LlmRequest][] = [
    ["functions", { ...bare(), extra: { functions: [WEATHER] } }],
    ["a json_schema format", { ...bare(), params: { max_tokens: 20, response_format: { type: "json_schema", json_schema: { name: "weather", schema: WEATHER.parameters, strict: true } } } }],
    ["prediction.content", { ...bare(), extra: { prediction: { type: "content", content: "The weather in Paris today is sunny with a high of 22 degrees." } } }],
    ["prediction text parts", { ...bare(), extra: { prediction: { type: "content", content: [{ type: "text", text: "Sunny, 22 degrees." }] } } }],
  ];
  for (const [what, req] of cases) {
    it(`counts ${what}`, async () => {
      const base = (await openai.generate(bare(), opts())).usage.input_tokens;
      const r = await openai.generate(req, opts());
      expect(r.usage.input_tokens).toBeGreaterThan(base + 3);
      expect(estimateRequestTokens(req).prompt).toBe(r.usage.input_tokens);
    });
  }
});

describe("a local model on /v1 reads the request as Ollama's /v1 does", () => {
  it("ignores max_completion_tokens (only max_tokens caps it)", async () => {
    const limited = await rawChat({ model: "llama3.2", messages, max_tokens: 3 });
    expect(limited.body.usage.completion_tokens).toBeLessThanOrEqual(3);
    const unlimited = await rawChat({ model: "llama3.2", messages, max_completion_tokens: 3 });
    expect(unlimited.status).toBe(200);
    expect(unlimited.body.usage.completion_tokens).toBeGreaterThan(3);
  });

  it("answers one choice whatever n asks, without logprobs", async () => {
    const r = await rawChat({ model: "llama3.2", messages, n: 3, logprobs: true, top_logprobs: 2 });
    expect(r.status).toBe(200);
    expect(r.body.choices).toHaveLength(1);
    expect(r.body.choices[0].logprobs).toBeNull();
    // The same on the OpenAI model: three choices with logprobs.
    const hosted = await rawChat({ model: "gpt-4o-mini", messages, n: 3, logprobs: true });
    expect(hosted.body.choices).toHaveLength(3);
    expect(hosted.body.choices[0].logprobs).not.toBeNull();
  });

  it("so llmbatch fails a record that asked n: 3 and got one choice (not an ok record missing two)", async () => {
    const err = await providerFailure(openai, { model: "llama3.2", messages, params: { n: 3 } }, opts());
    expect(err).toMatchObject({ type: "invalid_response", code: "missing_choices", retriable: false });
    expect(err.usage!.output_tokens).toBeGreaterThan(0);
  });
});

describe("fine-tuned model names (ft:<base>:<org>::<id>)", () => {
  const FT = "ft:gpt-4o-mini-2024-07-18:acme::9abcDEF1";

  it("are served as their base model: OpenAI's checks and the base model's limits, the fine-tune's name reported", async () => {
    const ok = await rawChat({ model: FT, messages, max_completion_tokens: 10 });
    expect(ok.status).toBe(200);
    expect(ok.body.model).toBe(FT);
    expect(ok.body.system_fingerprint).not.toBe("fp_ollama");
    const base = await rawChat({ model: "gpt-4o-mini", messages, max_completion_tokens: 10 });
    expect(ok.headers.get("x-ratelimit-limit-tokens")).toBe(base.headers.get("x-ratelimit-limit-tokens"));
    expect(ok.headers.get("x-ratelimit-limit-requests")).toBe(base.headers.get("x-ratelimit-limit-requests"));
    // OpenAI refuses what it does not take; Ollama's /v1 would have ignored it.
    const unknown = await rawChat({ model: FT, messages, not_a_param: 1 });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.message).toContain("not_a_param");
    // n is honoured (a local model answers one choice).
    expect((await rawChat({ model: FT, messages, n: 2 })).body.choices).toHaveLength(2);
  });

  it("a reasoning base keeps the reasoning rules (max_tokens refused), and a restricted catalogue serves fine-tunes of its models only", async () => {
    const r = await rawChat({ model: "ft:o4-mini-2025-04-16:acme:triage:9xyz", messages, max_tokens: 10 });
    expect(r.status).toBe(400);
    expect(r.body.error.code).toBe("unsupported_parameter");
    const restricted = await startSimulator({ quiet: true, models: [...DEFAULT_MODELS] });
    try {
      const post = (model: string) =>
        fetch(`${restricted.openaiBaseUrl}/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model, messages }) });
      expect((await post(FT)).status).toBe(200);
      expect((await post("ft:gpt-3.5-turbo-0125:acme::1")).status).toBe(404);
    } finally {
      await restricted.close();
    }
  });
});
