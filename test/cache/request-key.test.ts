/**
 * The cache key: any difference in what is sent makes another key; what is not sent (the API key,
 * the order of object keys) does not.
 */
import { describe, expect, it } from "vitest";
import { parseDuration, parseSize } from "../../src/cache/cache-options.js";
import { requestKey } from "../../src/cache/request-key.js";
import { OllamaProvider } from "../../src/providers/ollama/ollama-provider.js";
import { OpenAIProvider } from "../../src/providers/openai/openai-provider.js";
import type { LlmRequest } from "../../src/types.js";

const base: LlmRequest = { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hi" }], params: { temperature: 0, max_tokens: 50 } };
const openai = (apiKey = "sk-a", baseURL = "http://127.0.0.1:9/v1") => new OpenAIProvider({ apiKey, baseURL });
const chat = (request: LlmRequest) => ({ kind: "chat" as const, request });

describe("requestKey", () => {
  it("is the same for the same request, whatever the key order or the API key", () => {
    const reordered: LlmRequest = { params: { max_tokens: 50, temperature: 0 }, messages: [{ content: "Hi", role: "user" }], model: "gpt-4o-mini" };
    expect(requestKey(openai(), chat(base))).toBe(requestKey(openai("sk-b"), chat(reordered)));
    expect(requestKey(openai(), chat(base))).toMatch(/^[0-9a-f]{64}$/);
  });

  it("differs when anything sent differs: model, message, each parameter, tools, the endpoint, the provider", () => {
    const variants: LlmRequest[] = [
      { ...base, model: "gpt-4o" },
      { ...base, messages: [{ role: "user", content: "Hi!" }] },
      { ...base, messages: [{ role: "system", content: "Be brief" }, ...base.messages] },
      { ...base, params: { ...base.params, temperature: 0.5 } },
      { ...base, params: { ...base.params, max_tokens: 51 } },
      { ...base, params: { ...base.params, seed: 1 } },
      { ...base, params: { ...base.params, top_p: 0.9 } },
      { ...base, params: { ...base.params, stop: "\n" } },
      { ...base, params: { ...base.params, n: 2 } },
      { ...base, params: { ...base.params, response_format: { type: "json_object" } } },
      { ...base, params: { ...base.params, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object" } } } } },
      { ...base, extra: { tools: [{ type: "function", function: { name: "f" } }] } },
      { ...base, extra: { logprobs: true } },
    ];
    const keys = new Set([requestKey(openai(), chat(base)), ...variants.map((v) => requestKey(openai(), chat(v)))]);
    keys.add(requestKey(openai("sk-a", "http://127.0.0.1:10/v1"), chat(base)));
    keys.add(requestKey(new OllamaProvider({ host: "http://127.0.0.1:9" }), chat(base)));
    keys.add(requestKey(openai(), { kind: "embed", request: { model: "gpt-4o-mini", input: "Hi" } }));
    expect(keys.size).toBe(variants.length + 4);
  });

  it("follows the wire body: two requests the provider sends the same way share a key", () => {
    // Ollama gets `max_tokens` as options.num_predict either way.
    const ollama = new OllamaProvider({ host: "http://127.0.0.1:9" });
    const viaField: LlmRequest = { ...base, params: { ...base.params, max_tokens_field: "max_tokens" } };
    expect(requestKey(ollama, chat(viaField))).toBe(requestKey(ollama, chat(base)));
  });
});

describe("cache option parsers", () => {
  it("sizes take units, durations take ms s m h d w", () => {
    expect([parseSize("s", "2GB"), parseSize("s", "500 MB"), parseSize("s", "1.5GiB"), parseSize("s", "4096")]).toEqual([2e9, 5e8, 1.5 * 2 ** 30, 4096]);
    expect([parseDuration("d", "30d"), parseDuration("d", "12h"), parseDuration("d", "90m"), parseDuration("d", "1.5s")]).toEqual([30 * 86_400_000, 12 * 3_600_000, 90 * 60_000, 1500]);
    expect(() => parseSize("--cache-max-size", "0GB")).toThrow('--cache-max-size must be a size such as 2GB, 500MB or 1.5GiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got "0GB"');
    expect(() => parseDuration("--cache-ttl", "30")).toThrow("--cache-ttl must be a duration");
  });
});
