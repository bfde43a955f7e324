/**
 * Both providers through their real clients against the bundled simulator over real HTTP:
 * the wire behaviour the engine relies on (usage, rate-limit headers, classified errors,
 * timeouts and cancellation). No wall-clock thresholds: timeouts only decide the error type.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { providerFailure } from "./failure.js";
import type { ProviderError } from "../../src/errors.js";
import { OllamaProvider } from "../../src/providers/ollama/ollama-provider.js";
import { OpenAIProvider } from "../../src/providers/openai/openai-provider.js";
import { DEFAULT_MODELS, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { LlmRequest, Provider, ProviderCallOptions } from "../../src/types.js";

const SIM_KEY = "sk-sim-correct-key-0123456789";
let sim: SimulatorHandle;
let openai: OpenAIProvider;
let ollama: OllamaProvider;
let unique = 0;

/** Each call gets its own text: `[[sim:fail:N]]` counts attempts per content. */
const request = (model: string, directive = "", params: LlmRequest["params"] = {}): LlmRequest => ({
  model,
  messages: [{ role: "user", content: `Say something short (#${++unique}). ${directive}` }],
  params,
});
const opts = (over: Partial<ProviderCallOptions> = {}): ProviderCallOptions => ({ signal: new AbortController().signal, timeoutMs: 10_000, ...over });

const failure = (provider: Provider, req: LlmRequest, o: ProviderCallOptions = opts()): Promise<ProviderError> => providerFailure(provider, req, o);

beforeAll(async () => {
  // Restricted to the listed models, for the model_not_found tests (by default any name is served).
  sim = await startSimulator({ rpm: 100_000, tpm: 100_000_000, apiKey: SIM_KEY, seed: 7, quiet: true, models: [...DEFAULT_MODELS] });
  openai = new OpenAIProvider({ apiKey: SIM_KEY, baseURL: sim.openaiBaseUrl });
  ollama = new OllamaProvider({ host: sim.ollamaHost });
});
afterAll(() => sim.close());

describe("OpenAIProvider × simulator", () => {
  it("returns text, usage, the snapshot model, the id and rate-limit headers", async () => {
    const r = await openai.generate(request("gpt-4o-mini", "", { max_tokens: 40 }), opts());
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toMatch(/^(stop|length)$/);
    expect(r.model).toBe("gpt-4o-mini-2024-07-18");
    expect(r.providerId).toMatch(/^chatcmpl-/);
    expect(r.usage.input_tokens).toBeGreaterThan(0);
    expect(r.usage.output_tokens).toBeGreaterThan(0);
    expect(r.usage.output_tokens).toBeLessThanOrEqual(40);
    expect(r.rateLimits).toMatchObject({ limitRequests: 100_000, limitTokens: 100_000_000 });
    expect(r.rateLimits?.remainingRequests).toBeLessThanOrEqual(100_000);
    expect(r.rateLimits?.resetRequestsMs).toBeGreaterThanOrEqual(0);
    expect(r.rateLimits?.resetTokensMs).toBeGreaterThanOrEqual(0);
  });

  it("serves a reasoning model with an output cap (max_completion_tokens, never max_tokens)", async () => {
    const r = await openai.generate(request("gpt-5-mini", "", { max_tokens: 30 }), opts());
    expect(r.usage.output_tokens).toBeLessThanOrEqual(30);
  });

  it("serves a local model on /v1 with max_tokens", async () => {
    const r = await openai.generate(request("llama3.2", "", { max_tokens: 20 }), opts());
    expect(r.usage.output_tokens).toBeLessThanOrEqual(20);
  });

  it("401 with a wrong key → auth, and the key is not in the message", async () => {
    const wrongKey = "sk-wrong-SECRETVALUE-987654321";
    const p = new OpenAIProvider({ apiKey: wrongKey, baseURL: sim.openaiBaseUrl });
    const e = await failure(p, request("gpt-4o-mini"));
    expect(e).toMatchObject({ type: "auth", status: 401, code: "invalid_api_key", fatal: true });
    expect(e.message).not.toContain("SECRETVALUE");
    expect(JSON.stringify(e.toResultError())).not.toContain("SECRETVALUE");
  });

  it("429 quota → insufficient_quota (fatal); 429 rate limit → rate_limit with the server's wait", async () => {
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:quota]]"))).toMatchObject({ type: "insufficient_quota", status: 429, retriable: false, fatal: true });
    const e = await failure(openai, request("gpt-4o-mini", "[[sim:rate_limit]]"));
    expect(e).toMatchObject({ type: "rate_limit", status: 429, code: "rate_limit_exceeded", retriable: true, retryAfterMs: 50 });
    expect(e.rateLimits?.limitRequests).toBe(100_000);
  });

  it("429 Request too large (the request alone exceeds TPM) → rate_limit, not retriable", async () => {
    const small = await startSimulator({ tpm: 1_000, quiet: true });
    try {
      const p = new OpenAIProvider({ apiKey: "unused-key", baseURL: small.openaiBaseUrl });
      expect(await failure(p, request("gpt-4o-mini", "", { max_tokens: 5_000 }))).toMatchObject({ type: "rate_limit", status: 429, retriable: false });
    } finally {
      await small.close();
    }
  });

  it("404 unknown model → model_not_found (fatal)", async () => {
    expect(await failure(openai, request("gpt-9"))).toMatchObject({ type: "model_not_found", status: 404, code: "model_not_found", fatal: true });
  });

  it("400 context length → context_length; bad request → bad_request; region → permission", async () => {
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:context_length]]"))).toMatchObject({ type: "context_length", status: 400, code: "context_length_exceeded" });
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:bad_request]]"))).toMatchObject({ type: "bad_request", status: 400, retriable: false });
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:region]]"))).toMatchObject({ type: "permission", status: 403 });
  });

  it("500 → server, 503 → overloaded, injected 429 → rate_limit; one attempt each", async () => {
    const before = sim.stats().requests;
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:fail:1:500]]"))).toMatchObject({ type: "server", status: 500, retriable: true });
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:fail:1:503]]"))).toMatchObject({ type: "overloaded", status: 503, retriable: true });
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:fail:1:429]]"))).toMatchObject({ type: "rate_limit", retriable: true });
    expect(sim.stats().requests - before).toBe(3);
  });

  it("a second attempt after [[sim:fail:1]] succeeds (the engine's retry has something to retry)", async () => {
    const req = request("gpt-4o-mini", "[[sim:fail:1:500]]");
    await failure(openai, req);
    expect((await openai.generate(req, opts())).text.length).toBeGreaterThan(0);
  });

  it("content filter → content_filter (not retriable)", async () => {
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:content_filter]]"))).toMatchObject({ type: "content_filter", retriable: false });
  });

  it("reset → network; truncated body → network", async () => {
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:fail:1:reset]]"))).toMatchObject({ type: "network", retriable: true });
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:fail:1:truncated]]"))).toMatchObject({ type: "network", retriable: true });
  });

  it("hang → timeout with a short timeoutMs", async () => {
    expect(await failure(openai, request("gpt-4o-mini", "[[sim:fail:1:hang]]"), opts({ timeoutMs: 200 }))).toMatchObject({ type: "timeout", retriable: true });
  });

  it("caller abort mid-request → cancelled", async () => {
    const controller = new AbortController();
    const pending = failure(openai, request("gpt-4o-mini", "[[sim:fail:1:hang]]"), opts({ signal: controller.signal }));
    await waitUntil(() => sim.stats().faults.hang > 0 && inFlight() > 0);
    controller.abort();
    expect(await pending).toMatchObject({ type: "cancelled", retriable: false });
  });
});

describe("OllamaProvider × simulator", () => {
  it("returns text, usage from prompt_eval_count/eval_count, done_reason and model", async () => {
    const r = await ollama.generate(request("llama3.2", "", { max_tokens: 25, temperature: 0 }), opts());
    expect(r.text.length).toBeGreaterThan(0);
    expect(r.finishReason).toMatch(/^(stop|length)$/);
    expect(r.model).toBe("llama3.2");
    expect(r.usage.input_tokens).toBeGreaterThan(0);
    expect(r.usage.output_tokens).toBeGreaterThan(0);
    expect(r.usage.output_tokens).toBeLessThanOrEqual(25);
    expect(r.rateLimits).toBeUndefined();
  });

  it("returns JSON for a json_schema response_format", async () => {
    const schema = { type: "object", properties: { answer: { type: "string" } }, required: ["answer"] };
    const r = await ollama.generate(request("llama3.2", "", { response_format: { type: "json_schema", json_schema: { name: "a", schema } } }), opts());
    expect(JSON.parse(r.text)).toHaveProperty("answer");
  });

  it("404 unknown model → model_not_found", async () => {
    expect(await failure(ollama, request("llama9"))).toMatchObject({ type: "model_not_found", status: 404, fatal: true });
  });

  it("400 → bad_request; 500 → server; 503 → overloaded; 429 → rate_limit with retry-after", async () => {
    expect(await failure(ollama, request("llama3.2", "[[sim:bad_request]]"))).toMatchObject({ type: "bad_request", status: 400 });
    expect(await failure(ollama, request("llama3.2", "[[sim:fail:1:500]]"))).toMatchObject({ type: "server", status: 500, retriable: true });
    expect(await failure(ollama, request("llama3.2", "[[sim:fail:1:503]]"))).toMatchObject({ type: "overloaded", status: 503, retriable: true });
    expect(await failure(ollama, request("llama3.2", "[[sim:fail:1:429]]"))).toMatchObject({ type: "rate_limit", status: 429, retryAfterMs: 50 });
  });

  it("reset → network; truncated → network; hang → timeout", async () => {
    expect(await failure(ollama, request("llama3.2", "[[sim:fail:1:reset]]"))).toMatchObject({ type: "network" });
    expect(await failure(ollama, request("llama3.2", "[[sim:fail:1:truncated]]"))).toMatchObject({ type: "network" });
    expect(await failure(ollama, request("llama3.2", "[[sim:fail:1:hang]]"), opts({ timeoutMs: 200 }))).toMatchObject({ type: "timeout" });
  });

  it("caller abort mid-request → cancelled", async () => {
    const controller = new AbortController();
    const before = sim.stats().faults.hang;
    const pending = failure(ollama, request("llama3.2", "[[sim:fail:1:hang]]"), opts({ signal: controller.signal }));
    await waitUntil(() => sim.stats().faults.hang > before);
    controller.abort();
    expect(await pending).toMatchObject({ type: "cancelled" });
  });

  it("queue full (server busy) → overloaded, while the queued call is unaffected", async () => {
    const busy = await startSimulator({ ollama: { numParallel: 1, maxQueue: 0 }, quiet: true });
    try {
      const p = new OllamaProvider({ host: busy.ollamaHost });
      const controllers = [new AbortController(), new AbortController()];
      // Both hold the model for a long time; with no queue, whichever arrives second is refused.
      const calls = controllers.map((c, i) =>
        p.generate(request("llama3.2", "[[sim:latency:60000]]"), opts({ signal: c.signal, timeoutMs: 120_000 })).then(
          () => ({ i, error: undefined }),
          (error: unknown) => ({ i, error: error as ProviderError }),
        ),
      );
      const first = await Promise.race(calls);
      expect(first.error).toMatchObject({ type: "overloaded", status: 503, retriable: true });
      expect(first.error?.message).toContain("server busy");
      controllers[1 - first.i]!.abort();
      const other = await calls[1 - first.i]!;
      expect(other.error).toMatchObject({ type: "cancelled" });
    } finally {
      await busy.close();
    }
  });
});

function inFlight(): number {
  const s = sim.stats();
  return s.requests - Object.values(s.byStatus).reduce((a, b) => a + b, 0);
}

/** Polls a condition of the simulator's state (no fixed sleeps, no timing assertions). */
async function waitUntil(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  expect(condition()).toBe(true);
}
