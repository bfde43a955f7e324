/**
 * What the OpenAI provider makes of replies beyond one text, through the real `openai` client
 * against a scripted local peer: a legacy `function_call`, a reply with fewer choices than `n`
 * asked, a malformed later choice (billed all the same), and the name the output cap is sent under.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { OpenAIProvider } from "../../src/providers/openai/openai-provider.js";
import type { LlmRequest, ProviderCallOptions } from "../../src/types.js";
import { providerFailure } from "./failure.js";
import { chatCompletion, json, startPeer, type Peer } from "./http-peer.js";

let peer: Peer;
let provider: OpenAIProvider;
const opts = (): ProviderCallOptions => ({ signal: new AbortController().signal, timeoutMs: 5_000 });
const request = (over: Partial<LlmRequest> = {}): LlmRequest => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: "What's the weather in Paris?" }], params: {}, ...over });
const USAGE = { prompt_tokens: 80, completion_tokens: 18, total_tokens: 98 };
const weatherCall = { name: "get_current_weather", arguments: '{"city":"Paris","unit":"celsius"}' };

beforeAll(async () => {
  peer = await startPeer();
  provider = new OpenAIProvider({ apiKey: "sk-test", baseURL: `${peer.url}/v1` });
});
afterAll(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
});

describe("legacy function_call replies", () => {
  it("carries the call and its arguments, with finish_reason function_call", async () => {
    peer.handle((_req, res) =>
      json(
        res,
        200,
        chatCompletion({
          choices: [{ index: 0, message: { role: "assistant", content: null, function_call: weatherCall, refusal: null }, logprobs: null, finish_reason: "function_call" }],
          usage: USAGE,
        }),
      ),
    );
    const r = await provider.generate(request({ extra: { functions: [{ name: "get_current_weather", parameters: { type: "object" } }] } }), opts());
    expect(r.text).toBe("");
    expect(r.finishReason).toBe("function_call");
    expect(r.details).toEqual({ function_call: weatherCall });
  });

  it("carries each choice's function_call when there are several", async () => {
    const choice = (index: number) => ({
      index,
      message: { role: "assistant", content: null, function_call: { ...weatherCall, arguments: `{"city":"Paris","n":${index}}` } },
      logprobs: null,
      finish_reason: "function_call",
    });
    peer.handle((_req, res) => json(res, 200, chatCompletion({ choices: [choice(0), choice(1)], usage: USAGE })));
    const r = await provider.generate(request({ params: { n: 2 } }), opts());
    expect(r.details!.function_call!.arguments).toBe('{"city":"Paris","n":0}');
    expect(r.details!.choices!.map((c) => c.function_call?.arguments)).toEqual(['{"city":"Paris","n":0}', '{"city":"Paris","n":1}']);
    expect(r.details!.choices!.map((c) => c.finish_reason)).toEqual(["function_call", "function_call"]);
  });
});

describe("replies that are not what was asked", () => {
  it("a malformed choices[1] is invalid_response carrying the usage the body reported (billed, not unknown)", async () => {
    const good = chatCompletion().choices[0];
    peer.handle((_req, res) => json(res, 200, chatCompletion({ choices: [good, { index: 1, message: null, finish_reason: "stop" }], usage: USAGE })));
    const err = await providerFailure(provider, request({ params: { n: 2 } }), opts());
    expect(err.type).toBe("invalid_response");
    expect(err.message).toContain("choices[1]");
    expect(err.usage).toEqual({ input_tokens: 80, output_tokens: 18, cached_tokens: 0 });
  });

  it("fewer choices than n asked (a server that ignores n) fails the call, not retried, with its usage", async () => {
    peer.handle((_req, res) => json(res, 200, chatCompletion({ usage: USAGE })));
    const err = await providerFailure(provider, request({ params: { n: 3 } }), opts());
    expect(err).toMatchObject({ type: "invalid_response", code: "missing_choices", retriable: false });
    expect(err.message).toContain("n: 3");
    expect(err.message).toContain("answered 1");
    expect(err.usage).toEqual({ input_tokens: 80, output_tokens: 18, cached_tokens: 0 });
  });
});

describe("the output cap's name on a server that is not api.openai.com", () => {
  const cookbook = (model: string): LlmRequest => request({ model, params: { max_tokens: 5, max_tokens_field: "max_completion_tokens" } });

  it("a body's max_completion_tokens goes as max_tokens (Ollama's /v1 reads no other)", async () => {
    peer.handle((_req, res) => json(res, 200, chatCompletion()));
    await provider.generate(cookbook("llama3.2"), opts());
    expect(peer.requests[0]!.body).toMatchObject({ max_tokens: 5 });
    expect(peer.requests[0]!.body).not.toHaveProperty("max_completion_tokens");
  });

  it("a reasoning model keeps max_completion_tokens, and the maxTokensField option wins over both", async () => {
    peer.handle((_req, res) => json(res, 200, chatCompletion()));
    await provider.generate(cookbook("o3-mini"), opts());
    expect(peer.requests[0]!.body).toMatchObject({ max_completion_tokens: 5 });
    const forced = new OpenAIProvider({ apiKey: "sk-test", baseURL: `${peer.url}/v1`, maxTokensField: "max_completion_tokens" });
    await forced.generate(cookbook("llama3.2"), opts());
    expect(peer.requests[1]!.body).toMatchObject({ max_completion_tokens: 5 });
    expect(peer.requests[1]!.body).not.toHaveProperty("max_tokens");
  });

  it("with both caps in a body, the smaller is sent under the one name", async () => {
    peer.handle((_req, res) => json(res, 200, chatCompletion()));
    await provider.generate(request({ model: "llama3.2", params: { max_tokens: 50, max_tokens_field: "max_completion_tokens" }, extra: { max_tokens: 10 } }), opts());
    expect(peer.requests[0]!.body).toMatchObject({ max_tokens: 10 });
    expect(peer.requests[0]!.body).not.toHaveProperty("max_completion_tokens");
  });
});
