/**
 * Embeddings calls take the same call path as chat calls (gates, retries, settlement), with a TPM
 * reservation of their input tokens only.
 */
import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.js";
import { FakeClock } from "../../src/gates/clock.js";
import { estimateEmbedTokens } from "../../src/tokens/token-estimate.js";
import { Quotas } from "../../src/gates/quotas.js";
import { callEmbed, callLlm, type CallContext } from "../../src/engine/llm-call.js";
import type { EmbedRequest, EmbedResponse, LlmResponse, Provider } from "../../src/types.js";

/** A provider of our own interface: `embed` answers from a script, `generate` is never reached here. */
class FakeEmbedder implements Provider {
  readonly name = "openai" as const;
  readonly requests: EmbedRequest[] = [];
  constructor(private readonly behave: (call: number, request: EmbedRequest) => EmbedResponse) {}
  generate(): Promise<LlmResponse> {
    return Promise.reject(new Error("not a chat provider"));
  }
  async embed(request: EmbedRequest): Promise<EmbedResponse> {
    this.requests.push(request);
    return this.behave(this.requests.length, request);
  }
}

/**
 * The run's quotas at `tpm` per quota, on a clock that stands still: 600 enforced per second is 10
 * tokens a second, less the run's 100 ms transit margin: a bucket of 9.
 */
const quotasAt = (tpm?: number) => new Quotas({ limits: { tpm }, clock: new FakeClock() });
/** What the first quota used could admit now. */
const available = (quotas: Quotas) => quotas.list()[0]!.gauges().tpmAvailable;

function context(quotas: Quotas, maxRetries = 2): CallContext {
  return {
    quotas,
    maxRetries,
    timeoutMs: 1000,
    retryTiming: { baseMs: 1, maxMs: 1 },
    stop: new AbortController().signal,
    cancel: new AbortController().signal,
  };
}

const answer = (inputTokens: number, embeddings: number[][]): EmbedResponse => ({
  embeddings,
  usage: { input_tokens: inputTokens, output_tokens: 0, cached_tokens: 0 },
  model: "text-embedding-3-small",
});

describe("callEmbed", () => {
  it("reserves the input tokens alone at the TPM gate, where a chat call would reserve its output too", async () => {
    const gate = quotasAt(600);
    const request: EmbedRequest = { model: "text-embedding-3-small", input: "Hello world" };
    const tokens = estimateEmbedTokens(request).total;
    expect(tokens).toBe(2);
    const provider = new FakeEmbedder(() => answer(tokens, [[0.6, 0.8]]));
    const outcome = await callEmbed(provider, request, context(gate));
    expect(outcome).toMatchObject({ ok: true, attempts: 1, backoff: { tpm_waits: 0 }, response: { embeddings: [[0.6, 0.8]] } });
    expect(available(gate)).toBeCloseTo(9 - tokens, 9);

    // The same text as a chat prompt reserves 4,096 output tokens besides: more than the whole limit.
    const chat = await callLlm(provider, { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello world" }], params: {} }, context(gate));
    expect(chat).toMatchObject({ ok: false, attempts: 0, notSent: true, error: { type: "bad_request" } });
  });

  it("settles the reservation on the tokens the provider counted", async () => {
    const gate = quotasAt(600);
    const provider = new FakeEmbedder(() => answer(5, [[1], [1]]));
    await callEmbed(provider, { model: "text-embedding-3-small", input: ["Hello world", "Hello again"] }, context(gate));
    expect(available(gate)).toBeCloseTo(9 - 5, 9);
  });

  it("retries a retriable failure, as the engine does for every call, and counts the attempts", async () => {
    const gate = quotasAt();
    const provider = new FakeEmbedder((call) => {
      if (call === 1) throw new ProviderError({ type: "server", status: 500, message: "500 The server had an error" });
      return answer(3, [[1, 0]]);
    });
    const outcome = await callEmbed(provider, { model: "text-embedding-3-small", input: "Hello world" }, context(gate));
    expect(outcome).toMatchObject({ ok: true, attempts: 2, backoff: { retries: 1 } });
    expect(provider.requests).toHaveLength(2);
  });

  it("fails without sending when the provider cannot embed", async () => {
    const provider: Provider = { name: "openai", generate: () => Promise.reject(new Error("unused")) };
    const outcome = await callEmbed(provider, { model: "m", input: "x" }, context(quotasAt()));
    expect(outcome).toMatchObject({ ok: false, attempts: 0, notSent: true, error: { type: "bad_request", message: "the openai provider cannot run embeddings requests" } });
  });
});
