import { APIConnectionError, APIError, APIConnectionTimeoutError, BadRequestError, InternalServerError, PermissionDeniedError, RateLimitError } from "openai";
import type OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { openaiFixture } from "./helpers.js";

function ask(client: OpenAI, content: string, extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) {
  return client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content }], ...extra });
}

function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error("expected the request to fail");
    },
    (error: unknown) => error,
  );
}

describe("[[sim:…]] directives on the OpenAI route", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture()));
  afterAll(() => sim.close());

  it("quota → 429 insufficient_quota", async () => {
    const error = await failure(ask(client, "bill me [[sim:quota]]"));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ type: "insufficient_quota", code: "insufficient_quota", param: null });
  });

  it("context_length → 400 context_length_exceeded on messages", async () => {
    const error = await failure(ask(client, "too long [[sim:context_length]]"));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ code: "context_length_exceeded", param: "messages", type: "invalid_request_error" });
    expect((error as BadRequestError).message).toMatch(/maximum context length is 128000 tokens\. However, your messages resulted in \d+ tokens/);
  });

  it("context_length:llamacpp → llama-server's 400 exceed_context_size_error body, token counts included", async () => {
    const error = await failure(ask(client, "too long [[sim:context_length:llamacpp]]"));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, type: "exceed_context_size_error", code: 400 });
    const body = (error as BadRequestError).error as Record<string, unknown>;
    expect(body).toMatchObject({ n_ctx: 128000, message: expect.stringMatching(/^request \(\d+ tokens\) exceeds the available context size \(128000 tokens\), try increasing it$/) });
    expect(body["n_prompt_tokens"]).toBeGreaterThan(128000);
  });

  it("context_length:vllm → vLLM's 400 BadRequestError on param input_tokens", async () => {
    const error = await failure(ask(client, "too long [[sim:context_length:vllm]]"));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ status: 400, type: "BadRequestError", param: "input_tokens", code: 400 });
    expect((error as BadRequestError).message).toMatch(/maximum context length is 128000 tokens\. However, your request has \d+ input tokens/);
  });

  it("bad_request → 400 invalid_request_error", async () => {
    const error = await failure(ask(client, "[[sim:bad_request]]"));
    expect(error).toBeInstanceOf(BadRequestError);
    expect(error).toMatchObject({ type: "invalid_request_error" });
  });

  it("region → 403 unsupported_country_region_territory", async () => {
    const error = await failure(ask(client, "[[sim:region]]"));
    expect(error).toBeInstanceOf(PermissionDeniedError);
    expect(error).toMatchObject({ type: "request_forbidden", code: "unsupported_country_region_territory" });
  });

  it("rate_limit → 429 requests without touching the buckets", async () => {
    const error = await failure(ask(client, "[[sim:rate_limit]]"));
    expect(error).toBeInstanceOf(RateLimitError);
    expect(error).toMatchObject({ type: "requests", code: "rate_limit_exceeded" });
    expect((error as RateLimitError).headers?.get("retry-after-ms")).toBe("50");
    expect((error as RateLimitError).headers?.get("x-ratelimit-remaining-requests")).toBe("1000000");
  });

  it("fail:N fails the first N attempts of that content with 500, then succeeds", async () => {
    const content = "flaky twice [[sim:fail:2]]";
    for (let i = 0; i < 2; i++) {
      const error = await failure(ask(client, content));
      expect(error).toBeInstanceOf(InternalServerError);
      expect(error).toMatchObject({ status: 500, type: "server_error", code: null });
      expect((error as InternalServerError).message).toBe("500 The server had an error while processing your request. Sorry about that!");
    }
    await expect(ask(client, content)).resolves.toMatchObject({ object: "chat.completion" });
  });

  it("fail:N:KIND picks the failure", async () => {
    const overloaded = await failure(ask(client, "busy [[sim:fail:1:503]]"));
    expect(overloaded).toMatchObject({ status: 503, type: "server_error" });
    expect((overloaded as InternalServerError).message).toMatch(/^503 That model is currently overloaded with other requests\./);

    const limited = await failure(ask(client, "slow down [[sim:fail:1:429]]"));
    expect(limited).toBeInstanceOf(RateLimitError);
    expect((limited as RateLimitError).headers?.get("retry-after-ms")).toBe("50");

    const reset = await failure(ask(client, "drop me [[sim:fail:1:reset]]"));
    expect(reset).toBeInstanceOf(APIConnectionError);

    const truncated = await failure(ask(client, "cut me [[sim:fail:1:truncated]]"));
    // Headers arrived, the body did not: undici's "terminated", not an APIError.
    expect(truncated).toBeInstanceOf(Error);
    expect(truncated).not.toBeInstanceOf(APIError);

    const hang = await failure(client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "wait forever [[sim:fail:1:hang]]" }] }, { timeout: 100 }));
    expect(hang).toBeInstanceOf(APIConnectionTimeoutError);
    expect(sim.stats().faults).toMatchObject({ overloaded503: 1, reset: 1, truncated: 1, hang: 1 });
  });

  it("content_filter → 200 with finish_reason content_filter and empty content", async () => {
    const data = await ask(client, "naughty [[sim:content_filter]]");
    expect(data.choices[0]?.finish_reason).toBe("content_filter");
    expect(data.choices[0]?.message.content).toBe("");
    expect(data.usage?.completion_tokens).toBe(0);
  });

  it("invalid_json:N breaks the first N structured replies", async () => {
    const format = { type: "json_object" as const };
    const content = "give JSON [[sim:invalid_json:1]]";
    const broken = await ask(client, content, { response_format: format });
    expect(() => JSON.parse(broken.choices[0]?.message.content ?? "")).toThrow();
    const fixed = await ask(client, content, { response_format: format });
    expect(JSON.parse(fixed.choices[0]?.message.content ?? "")).toEqual(expect.any(Object));
  });

  it("echo answers with the message itself, without its directives, its tokens counted and cut at max_tokens", async () => {
    const text = '=HYPERLINK("https://example.com","x")';
    const reply = await ask(client, `${text} [[sim:echo]]`);
    expect(reply.choices[0]!.message.content).toBe(text);
    expect(reply.choices[0]!.finish_reason).toBe("stop");
    expect(reply.usage!.completion_tokens).toBeGreaterThan(3);
    const cut = await ask(client, `${text} [[sim:echo]]`, { max_completion_tokens: 2 });
    expect(cut.choices[0]!.finish_reason).toBe("length");
    expect(cut.usage!.completion_tokens).toBe(2);
    expect(text.startsWith(cut.choices[0]!.message.content!)).toBe(true);
  });

  it("latency:MS delays just that request", async () => {
    await expect(ask(client, "take your time [[sim:latency:30]]")).resolves.toMatchObject({ object: "chat.completion" });
  });
});
