/**
 * The simulator's `/v1/embeddings` and `/api/embed`, driven by the real openai and ollama clients:
 * deterministic unit vectors, default and shortened dimensions, floats and base64, usage, rate
 * limits charged by input tokens, and the refusals in each server's words.
 */
import { countTokens as cl100k } from "gpt-tokenizer/encoding/cl100k_base";
import { countTokens as o200k } from "gpt-tokenizer/encoding/o200k_base";
import { Ollama } from "ollama";
import type OpenAI from "openai";
import { APIError } from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODELS, type SimulatorHandle, startSimulator } from "../../src/simulator/index.js";
import { openaiFixture, postJson, RATE_LIMIT_HEADERS } from "./helpers.js";

const TEXT = "Organic cotton crew-neck t-shirt, relaxed fit, pre-shrunk.";
const norm = (v: readonly number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const decode = (text: string): number[] => {
  const bytes = Buffer.from(text, "base64");
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
};
/** What a shortened vector must be: the full one's prefix at unit length, in float32. */
const shortened = (full: readonly number[], n: number): number[] => {
  const prefix = full.slice(0, n);
  const length = norm(prefix);
  return prefix.map((x) => Math.fround(x / length));
};
const apiError = async (p: Promise<unknown>): Promise<APIError> => {
  const error = await p.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(APIError);
  return error as APIError;
};

describe("POST /v1/embeddings with the openai client", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  // The catalogue restricted to its listed models, so an unknown one is refused as a real server refuses it.
  beforeAll(async () => ({ sim, client } = await openaiFixture({ models: [...DEFAULT_MODELS] })));
  afterAll(() => sim.close());

  it("answers OpenAI's shape: a unit vector of 1536 floats, usage in prompt_tokens, rate-limit headers", async () => {
    // No encoding_format: openai-node asks for base64 and decodes it.
    const { data, response } = await client.embeddings.create({ model: "text-embedding-3-small", input: TEXT }).withResponse();
    expect(data).toMatchObject({ object: "list", model: "text-embedding-3-small", usage: { prompt_tokens: cl100k(TEXT), total_tokens: cl100k(TEXT) } });
    expect(data.data).toHaveLength(1);
    expect(data.data[0]).toMatchObject({ object: "embedding", index: 0 });
    expect(data.data[0]!.embedding).toHaveLength(1536);
    expect(norm(data.data[0]!.embedding)).toBeCloseTo(1, 5);
    for (const name of RATE_LIMIT_HEADERS) expect(response.headers.get(name)).not.toBeNull();
    expect(response.headers.get("x-request-id")).toMatch(/^req_/);
  });

  it("gives the same vector for the same text, as floats or as base64 little-endian float32", async () => {
    const viaSdk = await client.embeddings.create({ model: "text-embedding-3-small", input: TEXT });
    const floats = await client.embeddings.create({ model: "text-embedding-3-small", input: TEXT, encoding_format: "float" });
    const base64 = await client.embeddings.create({ model: "text-embedding-3-small", input: TEXT, encoding_format: "base64" });
    expect(floats.data[0]!.embedding).toEqual(viaSdk.data[0]!.embedding);
    const text = base64.data[0]!.embedding as unknown as string;
    expect(typeof text).toBe("string");
    expect(decode(text)).toEqual(floats.data[0]!.embedding);
    const other = await client.embeddings.create({ model: "text-embedding-3-small", input: `${TEXT} Navy.`, encoding_format: "float" });
    expect(other.data[0]!.embedding).not.toEqual(floats.data[0]!.embedding);
  });

  it("shortens text-embedding-3 vectors with dimensions: the full vector's prefix, renormalised", async () => {
    const full = await client.embeddings.create({ model: "text-embedding-3-large", input: TEXT, encoding_format: "float" });
    expect(full.data[0]!.embedding).toHaveLength(3072);
    const short = await client.embeddings.create({ model: "text-embedding-3-large", input: TEXT, dimensions: 256, encoding_format: "float" });
    expect(short.data[0]!.embedding).toHaveLength(256);
    expect(norm(short.data[0]!.embedding)).toBeCloseTo(1, 5);
    const expected = shortened(full.data[0]!.embedding, 256);
    short.data[0]!.embedding.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 6));
  });

  it("embeds a list of texts or token arrays, one vector each in input order, counting tokens as OpenAI does", async () => {
    const texts = ["Down jacket", "Merino base layer", "Rain shell"];
    const list = await client.embeddings.create({ model: "text-embedding-3-small", input: texts, encoding_format: "float" });
    expect(list.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(new Set(list.data.map((d) => d.embedding[0])).size).toBe(3);
    expect(list.usage.prompt_tokens).toBe(texts.reduce((n, t) => n + cl100k(t), 0));
    const alone = await client.embeddings.create({ model: "text-embedding-3-small", input: "Merino base layer", encoding_format: "float" });
    expect(list.data[1]!.embedding).toEqual(alone.data[0]!.embedding);

    const tokens = await client.embeddings.create({ model: "text-embedding-3-small", input: [[1734, 2201, 88], [9906]], encoding_format: "float" });
    expect(tokens.data).toHaveLength(2);
    expect(tokens.usage.prompt_tokens).toBe(4);
    const one = await client.embeddings.create({ model: "text-embedding-3-small", input: [1734, 2201, 88], encoding_format: "float" });
    expect(one.data).toHaveLength(1);
    expect(one.data[0]!.embedding).toEqual(tokens.data[0]!.embedding);
  });

  it("answers ada-002 as text-embedding-ada-002-v2 and refuses dimensions on it", async () => {
    const ada = await client.embeddings.create({ model: "text-embedding-ada-002", input: TEXT, encoding_format: "float" });
    expect(ada.model).toBe("text-embedding-ada-002-v2");
    expect(ada.data[0]!.embedding).toHaveLength(1536);
    const e = await apiError(client.embeddings.create({ model: "text-embedding-ada-002", input: TEXT, dimensions: 256 }));
    expect([e.status, e.error]).toEqual([400, { message: "This model does not support specifying dimensions.", type: "invalid_request_error", param: null, code: null }]);
    const big = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: TEXT, dimensions: 2000 }));
    expect(big.status).toBe(400);
    expect(big.error).toMatchObject({ param: "dimensions", code: "integer_above_max_value" });
  });

  it("refuses empty input, over-long input, chat models and unknown fields in OpenAI's words", async () => {
    const invalid = { message: "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", type: "invalid_request_error", param: null, code: null };
    for (const input of ["", [], ["Down jacket", ""]]) {
      const e = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: input as string[] }));
      expect([e.status, e.error]).toEqual([400, invalid]);
    }
    const long = "lorem ipsum ".repeat(5000);
    expect(cl100k(long)).toBeGreaterThan(8192);
    const tooLong = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: long }));
    expect([tooLong.status, tooLong.error]).toEqual([400, { message: "Invalid 'input': maximum context length is 8192 tokens.", type: "invalid_request_error", param: null, code: null }]);
    const second = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: ["short", long] }));
    expect(second.error).toMatchObject({ message: "Invalid 'input[1]': maximum context length is 8192 tokens." });

    const chat = await apiError(client.embeddings.create({ model: "gpt-4o-mini", input: TEXT }));
    expect([chat.status, chat.error]).toEqual([403, { message: "You are not allowed to generate embeddings from this model", type: "invalid_request_error", param: null, code: null }]);
    const unknown = await apiError(client.embeddings.create({ model: "text-embedding-9", input: TEXT }));
    expect([unknown.status, unknown.code]).toEqual([404, "model_not_found"]);
    const extra = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: TEXT, temperature: 0 } as never));
    expect(extra.error).toMatchObject({ message: "Unrecognized request argument supplied: temperature" });
    // And the other way round: an embeddings model on the chat route.
    const notChat = await apiError(client.chat.completions.create({ model: "text-embedding-3-small", messages: [{ role: "user", content: TEXT }] }));
    expect([notChat.status, notChat.error]).toEqual([
      404,
      {
        message: "This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?",
        type: "invalid_request_error",
        param: "model",
        code: null,
      },
    ]);
  });

  it("obeys the same test directives as chat, read from the input", async () => {
    sim.resetStats();
    const flaky = `${TEXT} [[sim:fail:1:500]]`;
    const failed = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: flaky }));
    expect(failed.status).toBe(500);
    const retried = await client.embeddings.create({ model: "text-embedding-3-small", input: flaky });
    expect(retried.data).toHaveLength(1);
    const quota = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: `${TEXT} [[sim:quota]]` }));
    expect([quota.status, quota.code]).toEqual([429, "insufficient_quota"]);
    expect(sim.stats().faults.server500).toBe(1);
  });

  it("serves local models as Ollama's /v1/embeddings does", async () => {
    const local = await client.embeddings.create({ model: "nomic-embed-text", input: TEXT, dimensions: 64, encoding_format: "float" });
    expect(local.data[0]!.embedding).toHaveLength(64);
  });
});

describe("POST /v1/embeddings under a TPM limit", () => {
  it("charges the input tokens alone and answers a 429 with OpenAI's body when they do not fit", async () => {
    // 600 TPM, enforced per second: 10 tokens. A chat request's output reservation alone would not fit.
    const { sim, client } = await openaiFixture({ tpm: 600 });
    try {
      const text = "Down jacket, merino layer"; // cl100k: 6 tokens
      expect(cl100k(text)).toBe(6);
      const { response } = await client.embeddings.create({ model: "text-embedding-3-small", input: text }).withResponse();
      expect(Number(response.headers.get("x-ratelimit-remaining-tokens"))).toBe(600 - 6);
      const e = await apiError(client.embeddings.create({ model: "text-embedding-3-small", input: text }));
      expect(e.status).toBe(429);
      expect(e.error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
      expect(e.message).toContain("Requested 6.");
      expect(e.headers?.get("retry-after-ms")).not.toBeNull();
      expect(sim.stats().rateLimited).toBe(1);
    } finally {
      await sim.close();
    }
  });
});

describe("POST /api/embed with the ollama client", () => {
  let sim: SimulatorHandle;
  let ollama: Ollama;
  beforeAll(async () => {
    sim = await startSimulator({ quiet: true, models: [...DEFAULT_MODELS] });
    ollama = new Ollama({ host: sim.ollamaHost });
  });
  afterAll(() => sim.close());

  it("answers Ollama's shape: unit vectors, prompt_eval_count, durations in nanoseconds", async () => {
    const response = await ollama.embed({ model: "nomic-embed-text", input: TEXT });
    expect(response).toMatchObject({ model: "nomic-embed-text", prompt_eval_count: o200k(TEXT) });
    expect(response.embeddings).toHaveLength(1);
    expect(response.embeddings[0]).toHaveLength(768);
    expect(norm(response.embeddings[0]!)).toBeCloseTo(1, 5);
    expect(response.total_duration).toBeGreaterThanOrEqual(response.load_duration);
    expect(response.load_duration).toBeGreaterThan(0);
  });

  it("embeds a list, and shortens with dimensions as Ollama does (prefix, renormalised)", async () => {
    const full = await ollama.embed({ model: "mxbai-embed-large", input: ["Down jacket", "Rain shell"] });
    expect(full.embeddings.map((v) => v.length)).toEqual([1024, 1024]);
    const short = await ollama.embed({ model: "mxbai-embed-large", input: ["Down jacket", "Rain shell"], dimensions: 32 });
    const expected = shortened(full.embeddings[1]!, 32);
    short.embeddings[1]!.forEach((x, i) => expect(x).toBeCloseTo(expected[i]!, 6));
  });

  it("embeds nothing for an empty text, truncates over-long input unless told not to", async () => {
    expect(await ollama.embed({ model: "nomic-embed-text", input: "" })).toEqual({ model: "nomic-embed-text", embeddings: [] });
    const long = "lorem ipsum ".repeat(2000);
    const truncated = await ollama.embed({ model: "nomic-embed-text", input: long });
    expect(truncated.prompt_eval_count).toBe(2048);
    const refused = await ollama.embed({ model: "nomic-embed-text", input: long, truncate: false }).catch((e: unknown) => e);
    expect(refused).toMatchObject({ name: "ResponseError", status_code: 400, error: "the input length exceeds the context length" });
  });

  it("refuses unknown models and input types in Ollama's words", async () => {
    const missing = await ollama.embed({ model: "bge-m9", input: TEXT }).catch((e: unknown) => e);
    expect(missing).toMatchObject({ name: "ResponseError", status_code: 404, error: "model 'bge-m9' not found" });
    const bad = await postJson(`${sim.ollamaHost}/api/embed`, { model: "nomic-embed-text", input: 42 });
    expect([bad.status, bad.json]).toEqual([400, { error: "invalid input type" }]);
  });
});
