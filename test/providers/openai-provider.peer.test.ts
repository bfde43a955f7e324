/**
 * OpenAIProvider through the real `openai` client against a scripted local HTTP peer:
 * every error OpenAI's error codes guide lists, plus transport faults, timeouts and aborts.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { providerFailure } from "./failure.js";
import type { ProviderError } from "../../src/errors.js";
import { OpenAIProvider } from "../../src/providers/openai/openai-provider.js";
import type { LlmRequest, ProviderCallOptions } from "../../src/types.js";
import { chatCompletion, json, openaiError, startPeer, text, truncate, type Peer } from "./http-peer.js";

const KEY = "sk-proj-TESTKEY1234567890abcdef";
let peer: Peer;
let provider: OpenAIProvider;

const request = (params: LlmRequest["params"] = {}): LlmRequest => ({
  model: "gpt-4o-mini",
  messages: [
    { role: "system", content: "You are a helpful assistant." },
    { role: "user", content: "Hello!" },
  ],
  params,
});
const opts = (over: Partial<ProviderCallOptions> = {}): ProviderCallOptions => ({ signal: new AbortController().signal, timeoutMs: 5_000, ...over });

const failure = (req: LlmRequest = request(), o: ProviderCallOptions = opts()): Promise<ProviderError> => providerFailure(provider, req, o);

beforeAll(async () => {
  peer = await startPeer();
  provider = new OpenAIProvider({ apiKey: KEY, baseURL: `${peer.url}/v1` });
});
afterAll(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
});

describe("success", () => {
  it("maps text, usage, finish reason, model, id and rate-limit headers", async () => {
    peer.handle((_req, res) =>
      json(res, 200, chatCompletion(), {
        "x-request-id": "req_123",
        "x-ratelimit-limit-requests": "60",
        "x-ratelimit-limit-tokens": "150000",
        "x-ratelimit-remaining-requests": "59",
        "x-ratelimit-remaining-tokens": "149984",
        "x-ratelimit-reset-requests": "1s",
        "x-ratelimit-reset-tokens": "6m0s",
      }),
    );
    const r = await provider.generate(request(), opts());
    expect(r).toEqual({
      text: "Hello! How can I assist you today?",
      finishReason: "stop",
      usage: { input_tokens: 19, output_tokens: 10, cached_tokens: 4 },
      model: "gpt-4o-mini-2024-07-18",
      providerId: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
      rateLimits: {
        limitRequests: 60,
        limitTokens: 150_000,
        remainingRequests: 59,
        remainingTokens: 149_984,
        resetRequestsMs: 1000,
        resetTokensMs: 360_000,
      },
    });
  });

  it("falls back to x-request-id, tolerates missing usage and headers, and keeps a length stop", async () => {
    const body = chatCompletion({ id: undefined, usage: undefined });
    body.choices[0]!.finish_reason = "length";
    peer.handle((_req, res) => json(res, 200, body, { "x-request-id": "req_abc" }));
    const r = await provider.generate(request(), opts());
    expect(r.providerId).toBe("req_abc");
    expect(r.finishReason).toBe("length");
    expect(r.usage).toEqual({ input_tokens: 0, output_tokens: 0, cached_tokens: 0 });
    expect(r.rateLimits).toBeUndefined();
  });

  it("sends only the set parameters, max_tokens to a non-OpenAI base URL, and one attempt with the key", async () => {
    peer.handle((_req, res) => json(res, 200, chatCompletion()));
    const format = { type: "json_schema" as const, json_schema: { name: "x", schema: { type: "object" }, strict: true } };
    await provider.generate(request({ max_tokens: 50, temperature: 0.2, top_p: 0.9, seed: 7, stop: ["\n"], response_format: format }), opts());
    await provider.generate(request(), opts());
    expect(peer.requests[0]!.url).toBe("/v1/chat/completions");
    expect(peer.requests[0]!.headers["authorization"]).toBe(`Bearer ${KEY}`);
    expect(peer.requests[0]!.headers["x-stainless-retry-count"]).toBe("0");
    expect(peer.requests[0]!.body).toEqual({
      model: "gpt-4o-mini",
      messages: request().messages,
      max_tokens: 50,
      temperature: 0.2,
      top_p: 0.9,
      seed: 7,
      stop: ["\n"],
      response_format: format,
    });
    expect(peer.requests[1]!.body).toEqual({ model: "gpt-4o-mini", messages: request().messages });
  });

  it("sends max_completion_tokens when told the server is OpenAI", async () => {
    peer.handle((_req, res) => json(res, 200, chatCompletion()));
    const p = new OpenAIProvider({ apiKey: KEY, baseURL: `${peer.url}/v1`, maxTokensField: "max_completion_tokens" });
    await p.generate(request({ max_tokens: 50 }), opts());
    expect(peer.requests[0]!.body).toMatchObject({ max_completion_tokens: 50 });
    expect(peer.requests[0]!.body).not.toHaveProperty("max_tokens");
  });
});

describe("HTTP errors (OpenAI's error codes)", () => {
  const rpm = openaiError(
    "Rate limit reached for gpt-4o-mini in organization org-XXX on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 20s. Visit https://platform.openai.com/account/rate-limits to learn more.",
    "requests",
    "rate_limit_exceeded",
  );
  const tpm = openaiError(
    "Rate limit reached for gpt-4o in organization org-XXX on tokens per min (TPM): Limit 30000, Used 29937, Requested 385. Please try again in 644ms. Visit https://platform.openai.com/account/rate-limits to learn more.",
    "tokens",
    "rate_limit_exceeded",
  );
  const tooLarge = openaiError(
    "Request too large for gpt-4o in organization org-XXX on tokens per min (TPM): Limit 30000, Requested 31538. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
    "tokens",
    "rate_limit_exceeded",
  );

  it("429 RPM → rate_limit, retriable, wait from retry-after-ms, and exactly one attempt", async () => {
    peer.handle((_req, res) => json(res, 429, rpm, { "retry-after-ms": "150", "retry-after": "20", "x-ratelimit-remaining-requests": "0" }));
    const e = await failure();
    expect(e).toMatchObject({ type: "rate_limit", status: 429, code: "rate_limit_exceeded", retriable: true, retryAfterMs: 150 });
    expect(e.rateLimits).toMatchObject({ remainingRequests: 0, retryAfterMs: 150 });
    expect(peer.requests).toHaveLength(1);
  });

  it("429 TPM without retry-after → wait hint from x-ratelimit-reset-tokens", async () => {
    peer.handle((_req, res) =>
      json(res, 429, tpm, { "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "63", "x-ratelimit-reset-tokens": "644ms", "x-ratelimit-reset-requests": "9ms" }),
    );
    expect(await failure()).toMatchObject({ type: "rate_limit", retriable: true, retryAfterMs: 644 });
  });

  it("429 RPM without retry-after → wait hint from x-ratelimit-reset-requests", async () => {
    peer.handle((_req, res) => json(res, 429, rpm, { "x-ratelimit-reset-requests": "20s", "x-ratelimit-reset-tokens": "1ms" }));
    expect(await failure()).toMatchObject({ type: "rate_limit", retryAfterMs: 20_000 });
  });

  it("429 Request too large → rate_limit that is never retried", async () => {
    peer.handle((_req, res) => json(res, 429, tooLarge, { "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "12000" }));
    const e = await failure();
    expect(e).toMatchObject({ type: "rate_limit", status: 429, retriable: false });
    expect(e.retryAfterMs).toBeUndefined();
  });

  it("429 tokens with a full bucket → too large, whatever the message says", async () => {
    const reworded = openaiError("Too much at once.", "tokens", "rate_limit_exceeded");
    peer.handle((_req, res) => json(res, 429, reworded, { "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "30000" }));
    expect(await failure()).toMatchObject({ type: "rate_limit", retriable: false });
  });

  it("an untyped 429 with requests exhausted stays retriable even though the token budget is full", async () => {
    const untyped = { error: { message: "Too many requests", type: null, param: null, code: null } };
    peer.handle((_req, res) =>
      json(res, 429, untyped, { "x-ratelimit-limit-tokens": "30000", "x-ratelimit-remaining-tokens": "30000", "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "3s" }),
    );
    expect(await failure()).toMatchObject({ type: "rate_limit", retriable: true, retryAfterMs: 3000 });
  });

  it("429 tokens when max_tokens alone exceeds the TPM limit → too large", async () => {
    const reworded = openaiError("Too much at once.", "tokens", "rate_limit_exceeded");
    peer.handle((_req, res) => json(res, 429, reworded, { "x-ratelimit-limit-tokens": "1000", "x-ratelimit-remaining-tokens": "10" }));
    expect(await failure(request({ max_tokens: 4000 }))).toMatchObject({ type: "rate_limit", retriable: false });
    expect(await failure(request({ max_tokens: 100 }))).toMatchObject({ type: "rate_limit", retriable: true });
  });

  it("429 insufficient_quota → fatal, not retriable (same status as a rate limit)", async () => {
    const body = openaiError(
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
      "insufficient_quota",
      "insufficient_quota",
    );
    peer.handle((_req, res) => json(res, 429, body));
    const e = await failure();
    expect(e).toMatchObject({ type: "insufficient_quota", status: 429, retriable: false, fatal: true });
    expect(peer.requests).toHaveLength(1);
  });

  it("401 → auth, and the key never appears in the message, even if the server echoes it whole", async () => {
    const masked = openaiError("Incorrect API key provided: sk-abc***xyz. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key");
    peer.handle((_req, res) => json(res, 401, masked));
    expect(await failure()).toMatchObject({ type: "auth", status: 401, code: "invalid_api_key", fatal: true });

    const echoed = openaiError(`Incorrect API key provided: ${KEY}. Header was Authorization: Bearer ${KEY}`, "invalid_request_error", "invalid_api_key");
    peer.handle((_req, res) => json(res, 401, echoed));
    const e = await failure();
    expect(e.type).toBe("auth");
    expect(e.message).not.toContain("TESTKEY");
    expect(JSON.stringify(e.toResultError())).not.toContain("TESTKEY");

    // A key without the sk- prefix is scrubbed too (the provider knows its own key).
    const plainKey = "local-key-0123456789";
    const p = new OpenAIProvider({ apiKey: plainKey, baseURL: `${peer.url}/v1` });
    peer.handle((_req, res) => json(res, 401, openaiError(`Bad key ${plainKey}`, "invalid_request_error", "invalid_api_key")));
    const e2: unknown = await p.generate(request(), opts()).catch((x: unknown) => x);
    expect(e2).toMatchObject({ type: "auth" });
    expect((e2 as ProviderError).message).not.toContain(plainKey);
  });

  it("403 region → permission", async () => {
    peer.handle((_req, res) => json(res, 403, openaiError("Country, region, or territory not supported", "request_forbidden", "unsupported_country_region_territory")));
    expect(await failure()).toMatchObject({ type: "permission", status: 403, code: "unsupported_country_region_territory", retriable: false });
  });

  it("400 context_length_exceeded → context_length; other 400/422 → bad_request with the code", async () => {
    peer.handle((_req, res) =>
      json(
        res,
        400,
        openaiError(
          "This model's maximum context length is 128000 tokens. However, your messages resulted in 200022 tokens. Please reduce the length of the messages.",
          "invalid_request_error",
          "context_length_exceeded",
          "messages",
        ),
      ),
    );
    expect(await failure()).toMatchObject({ type: "context_length", status: 400, retriable: false });

    peer.handle((_req, res) =>
      json(
        res,
        400,
        openaiError("Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.", "invalid_request_error", "unsupported_parameter", "max_tokens"),
      ),
    );
    expect(await failure()).toMatchObject({ type: "bad_request", code: "unsupported_parameter", retriable: false });

    peer.handle((_req, res) => json(res, 422, { detail: "unprocessable" }));
    expect(await failure()).toMatchObject({ type: "bad_request", status: 422 });
  });

  it("404 → model_not_found, with a base-URL hint when the body has no code", async () => {
    peer.handle((_req, res) => json(res, 404, openaiError("The model `gpt-9` does not exist or you do not have access to it.", "invalid_request_error", "model_not_found")));
    expect(await failure()).toMatchObject({ type: "model_not_found", status: 404, code: "model_not_found", fatal: true });

    peer.handle((_req, res) => text(res, 404, "404 page not found", "text/plain"));
    const e = await failure();
    expect(e.type).toBe("model_not_found");
    expect(e.message).toMatch(/base URL/);
  });

  it.each([
    [408, "timeout", true],
    [409, "server", true],
    [500, "server", true],
    [502, "server", true],
    [503, "overloaded", true],
    [504, "server", true],
  ] as const)("%d → %s (retriable %s)", async (status, type, retriable) => {
    peer.handle((_req, res) => json(res, status, openaiError("The server had an error while processing your request. Sorry about that!", "server_error", null)));
    expect(await failure()).toMatchObject({ type, status, retriable });
    expect(peer.requests).toHaveLength(1);
  });

  it("502 with an HTML body → server, message bounded", async () => {
    const page = `<html><head><title>502 Bad Gateway</title></head><body>${"x".repeat(5000)}</body></html>`;
    peer.handle((_req, res) => text(res, 502, page));
    const e = await failure();
    expect(e).toMatchObject({ type: "server", status: 502, retriable: true });
    expect(e.message).toContain("502 Bad Gateway");
    expect(e.message.length).toBeLessThanOrEqual(501);
  });

  it("503 carries its retry-after hint", async () => {
    peer.handle((_req, res) => json(res, 503, openaiError("That model is currently overloaded with other requests.", "server_error", null), { "retry-after": "2" }));
    expect(await failure()).toMatchObject({ type: "overloaded", retryAfterMs: 2000 });
  });
});

describe("bad 2xx bodies", () => {
  it("no choices, empty choices, HTML and cut-short JSON → invalid_response (retriable)", async () => {
    for (const body of [chatCompletion({ choices: undefined }), chatCompletion({ choices: [] }), chatCompletion({ choices: [{ index: 0 }] })]) {
      peer.handle((_req, res) => json(res, 200, body));
      expect(await failure()).toMatchObject({ type: "invalid_response", retriable: true });
    }
    peer.handle((_req, res) => text(res, 200, "<html>hello</html>"));
    expect(await failure()).toMatchObject({ type: "invalid_response" });
    peer.handle((_req, res) => text(res, 200, '{"id":"chatcmpl-1","choices":[', "application/json"));
    expect(await failure()).toMatchObject({ type: "invalid_response" });
  });

  it("finish_reason content_filter and a refusal → content_filter (not retriable)", async () => {
    const filtered = chatCompletion();
    filtered.choices[0]!.finish_reason = "content_filter";
    peer.handle((_req, res) => json(res, 200, filtered));
    expect(await failure()).toMatchObject({ type: "content_filter", retriable: false });

    const refused = chatCompletion();
    refused.choices[0]!.message = { role: "assistant", content: null as unknown as string, refusal: "I can't help with that." as unknown as null, annotations: [] };
    peer.handle((_req, res) => json(res, 200, refused));
    const e = await failure();
    expect(e).toMatchObject({ type: "content_filter", code: "refusal" });
    expect(e.message).toContain("I can't help with that.");
  });
});

describe("transport, timeout and cancellation", () => {
  it("connection reset → network (retriable)", async () => {
    peer.handle((_req, res) => res.socket?.destroy());
    expect(await failure()).toMatchObject({ type: "network", retriable: true });
    expect(peer.requests).toHaveLength(1);
  });

  it("body cut off mid-way → network", async () => {
    peer.handle((_req, res) => truncate(res, chatCompletion()));
    expect(await failure()).toMatchObject({ type: "network", retriable: true });
  });

  it("connection refused → network", async () => {
    const closed = await startPeer();
    const url = closed.url;
    await closed.close();
    const p = new OpenAIProvider({ apiKey: KEY, baseURL: `${url}/v1` });
    const e: unknown = await p.generate(request(), opts()).catch((x: unknown) => x);
    expect(e).toMatchObject({ type: "network", code: "ECONNREFUSED" });
  });

  it("no answer within timeoutMs → timeout", async () => {
    peer.handle(() => {}); // never answers
    expect(await failure(request(), opts({ timeoutMs: 100 }))).toMatchObject({ type: "timeout", retriable: true });
  });

  it("headers sent but the body never finishes → timeout (the timer covers the body)", async () => {
    peer.handle((_req, res) => {
      res.writeHead(200, { "content-type": "application/json", "content-length": "1000" });
      res.write('{"id":"chatcmpl-1",');
    });
    expect(await failure(request(), opts({ timeoutMs: 150 }))).toMatchObject({ type: "timeout" });
  });

  it("caller abort while waiting → cancelled (not retriable)", async () => {
    const controller = new AbortController();
    peer.handle(() => controller.abort(new Error("shutdown")));
    expect(await failure(request(), opts({ signal: controller.signal, timeoutMs: 10_000 }))).toMatchObject({ type: "cancelled", retriable: false });
  });

  it("an already-aborted signal → cancelled without sending anything", async () => {
    const controller = new AbortController();
    controller.abort();
    expect(await failure(request(), opts({ signal: controller.signal }))).toMatchObject({ type: "cancelled" });
    expect(peer.requests).toHaveLength(0);
  });
});
