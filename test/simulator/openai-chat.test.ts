import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { AuthenticationError, BadRequestError, NotFoundError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODELS, type SimulatorHandle, startSimulator } from "../../src/simulator/index.js";
import { RATE_LIMIT_HEADERS, openaiFixture, parseGoDuration, postJson } from "./helpers.js";
import type OpenAI from "openai";

const HELLO = [
  { role: "system" as const, content: "You are a helpful assistant." },
  { role: "user" as const, content: "Hello!" },
];

describe("POST /v1/chat/completions with the openai client", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  // Restricted to the listed models, for the model_not_found tests (by default any name is served).
  beforeAll(async () => ({ sim, client } = await openaiFixture({ models: [...DEFAULT_MODELS] })));
  afterAll(() => sim.close());

  it("answers in Chat Completions' shape, counting OpenAI's reference example as 19 prompt tokens", async () => {
    const { data, response } = await client.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO }).withResponse();
    expect(data.id).toMatch(/^chatcmpl-[A-Za-z0-9]{29}$/);
    expect(data.object).toBe("chat.completion");
    expect(Math.abs(data.created - Date.now() / 1000)).toBeLessThan(120);
    expect(data.model).toBe("gpt-4o-mini-2024-07-18");
    expect(data.choices).toHaveLength(1);
    const [choice] = data.choices;
    expect(choice).toMatchObject({ index: 0, logprobs: null, finish_reason: "stop" });
    expect(choice?.message).toEqual({ role: "assistant", content: expect.any(String), refusal: null, annotations: [] });
    expect(data.usage).toEqual({
      prompt_tokens: 19,
      completion_tokens: countTokens(choice?.message.content ?? ""),
      total_tokens: 19 + countTokens(choice?.message.content ?? ""),
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    });
    expect(data.usage?.completion_tokens).toBeGreaterThanOrEqual(20);
    expect(data.service_tier).toBe("default");
    expect(data.system_fingerprint).toMatch(/^fp_[0-9a-f]+$/);

    expect(response.headers.get("content-type")).toBe("application/json");
    expect(response.headers.get("x-request-id")).toMatch(/^req_[0-9a-f]{32}$/);
    expect(response.headers.get("openai-version")).toBe("2020-10-01");
    expect(Number(response.headers.get("openai-processing-ms"))).toBeGreaterThanOrEqual(0);
  });

  it("sends the six x-ratelimit headers, parseable, even without limits", async () => {
    const { response } = await client.chat.completions.create({ model: "gpt-4o", messages: HELLO }).withResponse();
    for (const name of RATE_LIMIT_HEADERS) {
      const value = response.headers.get(name);
      expect(value, name).not.toBeNull();
      if (name.includes("reset")) expect(parseGoDuration(value ?? "")).toBeGreaterThanOrEqual(0);
      else expect(Number.isInteger(Number(value))).toBe(true);
    }
  });

  it("cuts the reply at max_completion_tokens with finish_reason length", async () => {
    const data = await client.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO, max_completion_tokens: 5 });
    expect(data.choices[0]?.finish_reason).toBe("length");
    expect(data.usage?.completion_tokens).toBe(5);
    expect(countTokens(data.choices[0]?.message.content ?? "")).toBe(5);
  });

  it("reads the deprecated max_tokens too, and returns n choices", async () => {
    const data = await client.chat.completions.create({ model: "gpt-4.1-mini", messages: HELLO, max_tokens: 7, n: 3 });
    expect(data.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(data.choices.every((c) => c.finish_reason === "length")).toBe(true);
    expect(data.usage?.completion_tokens).toBe(21);
  });

  it("is deterministic for the same seed and content", async () => {
    const other = await startSimulator({ quiet: true, seed: 1 });
    try {
      const otherClient = new (client.constructor as typeof OpenAI)({ apiKey: "sk-test", baseURL: other.openaiBaseUrl, maxRetries: 0 });
      const a = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "same" }] });
      const b = await otherClient.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "same" }] });
      const c = await client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "different" }] });
      expect(b.choices[0]?.message.content).toBe(a.choices[0]?.message.content);
      expect(c.choices[0]?.message.content).not.toBe(a.choices[0]?.message.content);
    } finally {
      await other.close();
    }
  });

  it("accepts dated snapshots and echoes them", async () => {
    const data = await client.chat.completions.create({ model: "gpt-4o-mini-2024-07-18", messages: HELLO });
    expect(data.model).toBe("gpt-4o-mini-2024-07-18");
  });

  it("answers an unknown model with 404 model_not_found", async () => {
    const error = await client.chat.completions.create({ model: "gpt-9", messages: HELLO }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toMatchObject({ status: 404, code: "model_not_found", type: "invalid_request_error" });
    expect((error as NotFoundError).message).toBe("404 The model `gpt-9` does not exist or you do not have access to it.");
    expect((error as NotFoundError).headers?.get("x-ratelimit-limit-requests")).toBe("1000000");
  });

  it("rejects max_tokens and a non-default temperature on reasoning models", async () => {
    const legacy = await client.chat.completions.create({ model: "o4-mini", messages: HELLO, max_tokens: 10 }).catch((e: unknown) => e);
    expect(legacy).toBeInstanceOf(BadRequestError);
    expect(legacy).toMatchObject({ code: "unsupported_parameter", param: "max_tokens" });
    const temp = await client.chat.completions.create({ model: "gpt-5-mini", messages: HELLO, temperature: 0.2 }).catch((e: unknown) => e);
    expect(temp).toMatchObject({ status: 400, code: "unsupported_value", param: "temperature" });
  });

  it("validates the body with OpenAI's four-key error shape", async () => {
    const url = `${sim.openaiBaseUrl}/chat/completions`;
    const noMessages = await postJson(url, { model: "gpt-4o-mini" });
    expect(noMessages.status).toBe(400);
    expect(noMessages.json).toEqual({
      error: { message: "Missing required parameter: 'messages'.", type: "invalid_request_error", param: "messages", code: "missing_required_parameter" },
    });
    const noModel = await postJson(url, { messages: HELLO });
    expect(noModel.json).toMatchObject({ error: { type: "invalid_request_error", param: "model" } });
    const notJson = await postJson(url, "{nope");
    expect(notJson.status).toBe(400);
    expect(Object.keys((notJson.json as { error: object }).error).sort()).toEqual(["code", "message", "param", "type"]);
    for (const name of RATE_LIMIT_HEADERS) expect(notJson.headers.get(name)).not.toBeNull();
    const streaming = await postJson(url, { model: "gpt-4o-mini", messages: HELLO, stream: true });
    expect(streaming.json).toMatchObject({ error: { message: "streaming not supported by the simulator" } });
  });

  it("lists models and answers unknown /v1 routes with an OpenAI-shaped 404", async () => {
    const page = await client.models.list();
    expect(page.data.map((m) => m.id)).toContain("gpt-4o-mini");
    expect(page.data[0]).toMatchObject({ object: "model", owned_by: expect.any(String), created: expect.any(Number) });
    const missing = await postJson(`${sim.openaiBaseUrl}/nothing/here`, {});
    expect(missing.status).toBe(404);
    expect(missing.json).toEqual({ error: { message: "Invalid URL (POST /v1/nothing/here)", type: "invalid_request_error", param: null, code: null } });
  });

  it("serves local model names on the OpenAI-compatible path", async () => {
    const data = await client.chat.completions.create({ model: "llama3.2", messages: HELLO });
    expect(data.model).toBe("llama3.2");
    expect(data.system_fingerprint).toBe("fp_ollama");
  });

  it("counts requests and tokens in stats", async () => {
    sim.resetStats();
    const data = await client.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO });
    await client.chat.completions.create({ model: "nope", messages: HELLO }).catch(() => undefined);
    const stats = sim.stats();
    expect(stats).toMatchObject({ requests: 2, ok: 1, byStatus: { "200": 1, "404": 1 }, inputTokens: 19 });
    expect(stats.outputTokens).toBe(data.usage?.completion_tokens);
    expect(stats.maxInFlight).toBeGreaterThanOrEqual(1);
  });
});

describe("authentication", () => {
  it("answers a wrong key with 401 invalid_api_key and masks it", async () => {
    const { sim, client } = await openaiFixture({ apiKey: "sk-right-key-0123456789" });
    try {
      await expect(client.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO })).resolves.toBeDefined();
      const wrong = client.withOptions({ apiKey: "sk-abcdef-wrong-xyz" });
      const error = await wrong.chat.completions.create({ model: "gpt-4o-mini", messages: HELLO }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AuthenticationError);
      expect(error).toMatchObject({ status: 401, code: "invalid_api_key", type: "invalid_request_error", param: null });
      expect((error as AuthenticationError).message).toBe("401 Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.");
      const missing = await fetch(`${sim.openaiBaseUrl}/models`);
      expect(missing.status).toBe(401);
      expect(missing.headers.get("x-ratelimit-remaining-requests")).not.toBeNull();
    } finally {
      await sim.close();
    }
  });
});
