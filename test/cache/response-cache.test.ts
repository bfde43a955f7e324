/**
 * The cache in the call path, with a FakeProvider over a real LMDB store in a temp directory: a hit
 * reserves nothing and sends nothing; only successes are stored, without rate-limit headers.
 */
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openResponseCache } from "../../src/cache/cache-options.js";
import { LmdbCacheStore } from "../../src/cache/lmdb-store.js";
import { requestKey } from "../../src/cache/request-key.js";
import type { ResponseCache } from "../../src/cache/response-cache.js";
import { BudgetGate } from "../../src/cost/budget-gate.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import { createPriceLookup } from "../../src/cost/pricing.js";
import { callLlm, type CallContext } from "../../src/engine/llm-call.js";
import { ProviderError } from "../../src/errors.js";
import { FakeClock } from "../../src/gates/clock.js";
import { Quotas } from "../../src/gates/quotas.js";
import { FakeProvider, fakeResponse } from "../../src/providers/fake-provider.js";
import type { LlmRequest } from "../../src/types.js";
import { tempDir } from "../helpers/cli.js";

const opened: ResponseCache[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((c) => c.close()));
});

async function cacheIn(dir: string, ttlMs?: number): Promise<ResponseCache> {
  const cache = await openResponseCache({ dir, maxSizeBytes: 1e9, ttlMs });
  if (!cache) throw new Error("the cache did not open");
  opened.push(cache);
  return cache;
}

function context(cache: ResponseCache, extra: Partial<CallContext> = {}): CallContext {
  return {
    quotas: new Quotas({ limits: { rpm: 600 }, clock: new FakeClock() }),
    maxRetries: 0,
    timeoutMs: 1000,
    retryTiming: { baseMs: 1, maxMs: 1 },
    stop: new AbortController().signal,
    cancel: new AbortController().signal,
    cache,
    ...extra,
  };
}

const request = (text: string): LlmRequest => ({ model: "gpt-4o-mini", messages: [{ role: "user", content: text }], params: { max_tokens: 20 } });

describe("the response cache in the call path", () => {
  it("a hit sends nothing, takes no quota and holds no budget; it returns the stored reply", async () => {
    const cache = await cacheIn(join(tempDir(), "c"));
    const provider = new FakeProvider(async (prompt) => fakeResponse(`re: ${prompt}`, { rateLimits: { remainingRequests: 3 }, serverQueueMs: 40, providerId: "chatcmpl-1" }));
    const first = await callLlm(provider, request("hello"), context(cache));
    expect(first).toMatchObject({ ok: true, attempts: 1 });
    expect(first.ok && first.cached).toBeFalsy();
    await cache.flushed();

    // A budget of nothing at all: a call that had to hold money would fail; a hit holds none.
    const budget = new BudgetGate({ maxUsd: 1e-12 });
    const ctx = context(cache, { budget: { gate: budget, priceOf: createPriceLookup(loadPriceTable()) } });
    const hit = await callLlm(provider, request("hello"), ctx);
    expect(hit).toMatchObject({ ok: true, attempts: 0, cached: true, response: { text: "re: hello", providerId: "chatcmpl-1", finishReason: "stop" } });
    expect(provider.calls).toBe(1);
    expect(ctx.quotas.list().map((q) => q.counters.requests)).toEqual([0]);
    expect(budget.reservedUsd + budget.spentUsd).toBe(0);
    // What the call went through is not replayed: no rate-limit headers, no server queue time.
    expect(hit.ok && hit.response.rateLimits).toBeUndefined();
    expect(hit.ok && hit.response.serverQueueMs).toBeUndefined();
    expect([cache.hits, cache.misses]).toEqual([1, 1]);
  });

  it("errors are never stored, also not a billed one (content filter)", async () => {
    const cache = await cacheIn(join(tempDir(), "c"));
    let fail = true;
    const provider = new FakeProvider(async () => {
      if (fail) throw new ProviderError({ type: "content_filter", message: "filtered", usage: { input_tokens: 3, output_tokens: 1, cached_tokens: 0 } });
      return fakeResponse("fine");
    });
    expect((await callLlm(provider, request("x"), context(cache))).ok).toBe(false);
    await cache.flushed();
    fail = false;
    expect(await callLlm(provider, request("x"), context(cache))).toMatchObject({ ok: true, attempts: 1 });
    await cache.flushed();
    expect(await callLlm(provider, request("x"), context(cache))).toMatchObject({ ok: true, attempts: 0, cached: true });
    expect(provider.calls).toBe(2);
  });

  it("entries older than the TTL are misses", async () => {
    const dir = join(tempDir(), "c");
    const provider = new FakeProvider(async () => fakeResponse("a"));
    const writer = await cacheIn(dir);
    await callLlm(provider, request("q"), context(writer));
    await writer.close();
    const store = await LmdbCacheStore.open(dir);
    const key = requestKey(provider, { kind: "chat", request: request("q") });
    // Stored an hour ago, as far as the entry says.
    await store.put(key, { c: Date.now() - 3_600_000, r: fakeResponse("old") }, Date.now());
    await store.close();
    const fresh = await cacheIn(dir, 60_000);
    expect(await callLlm(provider, request("q"), context(fresh))).toMatchObject({ ok: true, attempts: 1 });
    expect([fresh.hits, fresh.misses]).toEqual([0, 1]);
  });
});
