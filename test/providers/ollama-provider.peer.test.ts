/**
 * OllamaProvider through the real `ollama` client against a scripted local HTTP peer
 * (Ollama's `docs/api.md`, ollama-js 0.6.4): request mapping, response parsing, error statuses, transport
 * faults, timeouts and aborts, and per-call signals under concurrency.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { providerFailure } from "./failure.js";
import type { ProviderError } from "../../src/errors.js";
import { OllamaProvider } from "../../src/providers/ollama/ollama-provider.js";
import type { LlmRequest, ProviderCallOptions } from "../../src/types.js";
import { json, startPeer, text, truncate, type Peer } from "./http-peer.js";

let peer: Peer;
let provider: OllamaProvider;

const request = (params: LlmRequest["params"] = {}, content = "Hello!"): LlmRequest => ({
  model: "llama3.1",
  messages: [
    { role: "developer", content: "Be brief." },
    { role: "user", content },
  ],
  params,
});
const opts = (over: Partial<ProviderCallOptions> = {}): ProviderCallOptions => ({ signal: new AbortController().signal, timeoutMs: 5_000, ...over });
const chatBody = (over: Record<string, unknown> = {}) => ({
  model: "llama3.1",
  created_at: "2024-12-06T00:46:58.265747Z",
  message: { role: "assistant", content: '{"age": 22, "available": false}' },
  done: true,
  done_reason: "stop",
  total_duration: 2254970291,
  load_duration: 574751416,
  prompt_eval_count: 34,
  prompt_eval_duration: 1502000000,
  eval_count: 12,
  eval_duration: 175000000,
  ...over,
});

const failure = (req: LlmRequest = request(), o: ProviderCallOptions = opts()): Promise<ProviderError> => providerFailure(provider, req, o);

beforeAll(async () => {
  peer = await startPeer();
  provider = new OllamaProvider({ host: peer.url });
});
afterAll(() => peer.close());
beforeEach(() => {
  peer.requests.length = 0;
});
afterEach(() => {
  vi.restoreAllMocks();
});

describe("success", () => {
  it("maps content, usage, done_reason, model and the queue wait (load_duration, ns → ms)", async () => {
    peer.handle((_req, res) => json(res, 200, chatBody()));
    expect(await provider.generate(request(), opts())).toEqual({
      text: '{"age": 22, "available": false}',
      finishReason: "stop",
      usage: { input_tokens: 34, output_tokens: 12, cached_tokens: 0 },
      model: "llama3.1",
      serverQueueMs: 574.751416,
    });
  });

  it("counts an absent prompt_eval_count as 0 and keeps done_reason length", async () => {
    peer.handle((_req, res) => json(res, 200, chatBody({ prompt_eval_count: undefined, done_reason: "length" })));
    const r = await provider.generate(request(), opts());
    expect(r.usage).toEqual({ input_tokens: 0, output_tokens: 12, cached_tokens: 0 });
    expect(r.finishReason).toBe("length");
  });

  it("sends /api/chat non-streaming with options, format and roles mapped", async () => {
    peer.handle((_req, res) => json(res, 200, chatBody()));
    const schema = { type: "object", properties: { age: { type: "integer" } }, required: ["age"] };
    await provider.generate(request({ max_tokens: 64, temperature: 0.1, top_p: 0.8, seed: 3, stop: "END", response_format: { type: "json_schema", json_schema: { name: "p", schema } } }), opts());
    await provider.generate(request({ response_format: { type: "json_object" } }), opts());
    await provider.generate(request({ response_format: { type: "text" } }), opts());
    expect(peer.requests[0]).toMatchObject({ method: "POST", url: "/api/chat" });
    expect(peer.requests[0]!.body).toEqual({
      model: "llama3.1",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hello!" },
      ],
      options: { num_predict: 64, temperature: 0.1, top_p: 0.8, seed: 3, stop: ["END"] },
      format: schema,
      stream: false,
    });
    expect(peer.requests[1]!.body).toMatchObject({ format: "json" });
    expect(peer.requests[2]!.body).not.toHaveProperty("format");
    expect(peer.requests[2]!.body).not.toHaveProperty("options");
  });
});

describe("HTTP errors (Ollama's statuses)", () => {
  it.each([
    [404, { error: "model 'llama9' not found" }, "model_not_found", false],
    [400, { error: "top_logprobs must be between 0 and 20" }, "bad_request", false],
    [503, { error: "server busy, please try again.  maximum pending requests exceeded" }, "overloaded", true],
    [500, { error: "llama runner process has terminated" }, "server", true],
    [429, { error: "too many requests" }, "rate_limit", true],
    [401, { error: "unauthorized" }, "auth", false],
  ] as const)("%d %j → %s", async (status, body, type, retriable) => {
    peer.handle((_req, res) => json(res, status, body));
    const e = await failure();
    expect(e).toMatchObject({ type, status, retriable });
    // Messages are kept to one line with single spaces (Ollama's busy message has two).
    expect(e.message).toContain(body.error.replace(/\s+/g, " "));
  });

  it("carries retry-after on a 429", async () => {
    peer.handle((_req, res) => json(res, 429, { error: "rate limited" }, { "retry-after": "3" }));
    expect(await failure()).toMatchObject({ type: "rate_limit", retryAfterMs: 3000, rateLimits: { retryAfterMs: 3000 } });
  });

  it("a non-JSON error body (a proxy's 502 page) → server, and nothing is printed to stdout", async () => {
    const log = vi.spyOn(console, "log");
    peer.handle((_req, res) => text(res, 502, "<html><title>502 Bad Gateway</title></html>"));
    const e = await failure();
    expect(e).toMatchObject({ type: "server", status: 502 });
    expect(e.message).toContain("502 Bad Gateway");
    peer.handle((_req, res) => text(res, 500, "{not json", "application/json"));
    expect(await failure()).toMatchObject({ type: "server", status: 500 });
    expect(log).not.toHaveBeenCalled();
  });
});

describe("bad 2xx bodies", () => {
  it("no message, or a body that is not JSON → invalid_response (retriable)", async () => {
    peer.handle((_req, res) => json(res, 200, { model: "llama3.1", done: true }));
    expect(await failure()).toMatchObject({ type: "invalid_response", retriable: true });
    peer.handle((_req, res) => text(res, 200, '{"model":"llama3.1","message":', "application/json"));
    expect(await failure()).toMatchObject({ type: "invalid_response" });
  });
});

describe("transport, timeout and cancellation", () => {
  it("connection reset and a cut-off body → network", async () => {
    peer.handle((_req, res) => res.socket?.destroy());
    expect(await failure()).toMatchObject({ type: "network", retriable: true });
    peer.handle((_req, res) => truncate(res, chatBody()));
    expect(await failure()).toMatchObject({ type: "network" });
  });

  it("nothing listening → network", async () => {
    const closed = await startPeer();
    await closed.close();
    const p = new OllamaProvider({ host: closed.url });
    expect(await p.generate(request(), opts()).catch((e: unknown) => e)).toMatchObject({ type: "network", code: "ECONNREFUSED" });
  });

  it("no answer within timeoutMs → timeout", async () => {
    peer.handle(() => {});
    expect(await failure(request(), opts({ timeoutMs: 100 }))).toMatchObject({ type: "timeout", retriable: true });
  });

  it("caller abort → cancelled; an already-aborted signal sends nothing", async () => {
    const controller = new AbortController();
    peer.handle(() => controller.abort());
    expect(await failure(request(), opts({ signal: controller.signal }))).toMatchObject({ type: "cancelled", retriable: false });
    peer.requests.length = 0;
    expect(await failure(request(), opts({ signal: controller.signal }))).toMatchObject({ type: "cancelled" });
    expect(peer.requests).toHaveLength(0);
  });

  it("each call has its own signal: aborting one leaves the concurrent ones running", async () => {
    const held: Array<() => void> = [];
    peer.handle((req, res) => {
      held.push(() => json(res, 200, chatBody({ message: { role: "assistant", content: `re: ${(req.body as { messages: { content: string }[] }).messages[1]!.content}` } })));
      if (held.length === 3) {
        victim.abort();
        // Answer the other two only after the abort has happened.
        setImmediate(() => held.forEach((send) => send()));
      }
    });
    const victim = new AbortController();
    const [a, b, c] = await Promise.allSettled([
      provider.generate(request({}, "one"), opts()),
      provider.generate(request({}, "two"), opts({ signal: victim.signal })),
      provider.generate(request({}, "three"), opts()),
    ]);
    expect(a).toMatchObject({ status: "fulfilled", value: { text: "re: one" } });
    expect(b).toMatchObject({ status: "rejected", reason: { type: "cancelled" } });
    expect(c).toMatchObject({ status: "fulfilled", value: { text: "re: three" } });
  });
});
