import { describe, expect, it } from "vitest";
import { callLlm, type CallContext } from "../../src/engine/llm-call.js";
import { ProviderError } from "../../src/errors.js";
import { FakeClock } from "../../src/gates/clock.js";
import { MemoryQuotaStore } from "../../src/gates/memory-quota-store.js";
import { isPromise } from "../../src/gates/quota-store.js";
import { Quotas } from "../../src/gates/quotas.js";
import type { LlmRequest, LlmResponse, Provider, QuotaScope, RateLimitInfo } from "../../src/types.js";

/** An OpenAI-style provider of our own interface: one quota per model, scripted replies. */
class PerModelProvider implements Provider {
  readonly name = "openai" as const;
  constructor(private readonly answer: (model: string) => LlmResponse | ProviderError) {}
  quotaScope(model: string): QuotaScope {
    return { key: `openai|test|${model}`, label: model };
  }
  async generate(request: LlmRequest): Promise<LlmResponse> {
    const a = this.answer(request.model);
    if (a instanceof ProviderError) throw a;
    return a;
  }
}

const ok = (rateLimits?: RateLimitInfo): LlmResponse => ({
  text: "ok",
  finishReason: "stop",
  model: "m",
  usage: { input_tokens: 10, output_tokens: 2, cached_tokens: 0 },
  ...(rateLimits ? { rateLimits } : {}),
});
const request = (model: string): LlmRequest => ({ model, messages: [{ role: "user", content: "Label this ticket" }], params: { max_tokens: 10 } });
const context = (quotas: Quotas): CallContext => ({
  quotas,
  maxRetries: 0,
  timeoutMs: 1000,
  retryTiming: { baseMs: 1, maxMs: 1 },
  stop: new AbortController().signal,
  cancel: new AbortController().signal,
});

describe("per-model quotas", () => {
  it("a 429 of one model pauses that model's quota and not the other's", async () => {
    const clock = new FakeClock();
    const quotas = new Quotas({ clock });
    const provider = new PerModelProvider((model) =>
      model === "gpt-4o" ? new ProviderError({ type: "rate_limit", status: 429, message: "429 Rate limit reached for gpt-4o", retryAfterMs: 5_000 }) : ok(),
    );
    const outcome = await callLlm(provider, request("gpt-4o"), context(quotas));
    expect(outcome).toMatchObject({ ok: false, error: { type: "rate_limit" } });

    // gpt-4o-mini is admitted at once: no promise, nothing to wait for.
    const mini = quotas.for(provider, "gpt-4o-mini").acquire(1);
    expect(isPromise(mini)).toBe(false);
    // gpt-4o waits out the server's hint.
    let admitted = false;
    const big = quotas.for(provider, "gpt-4o").acquire(1);
    expect(isPromise(big)).toBe(true);
    void Promise.resolve(big).then(() => (admitted = true));
    clock.advance(4_999);
    await Promise.resolve();
    expect(admitted).toBe(false);
    clock.advance(1);
    await Promise.resolve();
    await Promise.resolve();
    expect(admitted).toBe(true);
    expect(quotas.list().map((q) => [q.label, q.counters.rate_limited])).toEqual([
      ["gpt-4o", 1],
      ["gpt-4o-mini", 0],
    ]);
  });

  it("keeps each model's learned limits: one model's headers do not move the other's", async () => {
    const quotas = new Quotas({ clock: new FakeClock() });
    const headers: Record<string, RateLimitInfo> = {
      "gpt-4o-mini": { limitRequests: 30_000, limitTokens: 150_000_000, remainingRequests: 29_999, remainingTokens: 149_999_000 },
      "gpt-4o": { limitRequests: 500, limitTokens: 30_000, remainingRequests: 499, remainingTokens: 29_000 },
    };
    const provider = new PerModelProvider((model) => ok(headers[model]));
    for (const model of ["gpt-4o-mini", "gpt-4o", "gpt-4o-mini"]) expect((await callLlm(provider, request(model), context(quotas))).ok).toBe(true);
    const gauges = Object.fromEntries(quotas.list().map((q) => [q.label, q.gauges()]));
    expect(gauges["gpt-4o-mini"]).toMatchObject({ rpm: 30_000, tpm: 150_000_000, rpmLearned: true, tpmLearned: true });
    expect(gauges["gpt-4o"]).toMatchObject({ rpm: 500, tpm: 30_000, rpmLearned: true, tpmLearned: true });
    expect(quotas.list().map((q) => q.counters.requests)).toEqual([2, 1]);
  });

  it("applies the run's limits to each quota, and a step's own limits to the quotas its calls spend", () => {
    const quotas = new Quotas({ limits: { rpm: 600, tpm: 90_000 }, clock: new FakeClock() });
    const provider = new PerModelProvider(() => ok());
    expect(quotas.for(provider, "gpt-4o-mini").gauges()).toMatchObject({ rpm: 600, tpm: 90_000, rpmLearned: false });
    expect(quotas.for(provider, "gpt-4o", { rpm: 60 }).gauges()).toMatchObject({ rpm: 60, tpm: 90_000 });
    // Steps that share a quota share the lowest of their limits, whichever comes first.
    expect(quotas.for(provider, "gpt-4o-mini", { rpm: 6_000 }).gauges()).toMatchObject({ rpm: 600 });
    expect(quotas.for(provider, "gpt-4o-mini", { tpm: 1_000 }).gauges()).toMatchObject({ tpm: 1_000 });
  });
});

describe("MemoryQuotaStore", () => {
  it("takes the RPM unit and the TPM estimate together or neither, and says how long to wait", () => {
    const store = new MemoryQuotaStore({ clock: new FakeClock() });
    // 600 per minute with the run's 100 ms margin: buckets of 9 requests and 9 tokens, refilling 10 a second.
    store.define("k", { rpm: 600, tpm: 600 });
    expect(store.take("k", 5)).toEqual({ taken: true });
    store.settle("k", 5, 5); // the server answered, as it counted
    const refused = store.take("k", 5);
    expect(refused).toMatchObject({ taken: false, blockedBy: "tpm" });
    expect((refused as { waitMs: number }).waitMs).toBe(100); // 1 token short at 10 a second
    const g = store.gauges("k");
    expect(g.rpmAvailable).toBeCloseTo(8, 9); // the refused request took no request unit
    expect(g.tpmAvailable).toBeCloseTo(4, 9);
    expect(store.take("k", 601)).toMatchObject({ taken: false, refused: expect.any(Error) });
  });

  it("spends only a fresh quota's first burst until the server first answers, then counts refill from the answer", () => {
    const clock = new FakeClock();
    const store = new MemoryQuotaStore({ clock });
    // 600 RPM: a bucket of 9 requests refilling one every 100 ms.
    store.define("k", { rpm: 600 });
    for (let i = 0; i < 9; i++) expect(store.take("k", 0)).toEqual({ taken: true });
    clock.advance(500); // five requests' worth of refill, while the burst may not have reached the server yet
    expect(store.take("k", 0)).toMatchObject({ taken: false, blockedBy: "rpm", waitMs: 500 });
    store.observe("k", { limitRequests: 600, remainingRequests: 591 }); // the first answer
    // The refill of those 500 ms is not granted; it counts from the answer on.
    expect(store.take("k", 0)).toMatchObject({ taken: false, waitMs: 100 });
    clock.advance(100);
    expect(store.take("k", 0)).toEqual({ taken: true });
  });

  it("ends the first-burst wait after one slice when no answer comes", () => {
    const clock = new FakeClock();
    const store = new MemoryQuotaStore({ clock });
    store.define("k", { rpm: 600 });
    for (let i = 0; i < 9; i++) store.take("k", 0);
    clock.advance(1_000);
    expect(store.take("k", 0)).toMatchObject({ taken: false, waitMs: 100 });
    clock.advance(100);
    expect(store.take("k", 0)).toEqual({ taken: true });
  });
});
