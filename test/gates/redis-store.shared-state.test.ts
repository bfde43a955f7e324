import { expect, it } from "vitest";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, stateOf, useStores } from "./redis-helpers.js";
import { DISCOVER_RECHECK_MS } from "../../src/gates/redis/quota-script.js";

const HOLD = 0.9;

describeRedis("Redis quota store: settlement, pauses and limits are shared", () => {
  const redis = useRedisServer();
  const stores = useStores(redis);

  it("settle refunds an over-estimate (capped at capacity), charges an under-estimate, refunds all of a request never counted", async () => {
    const key = freshKey();
    const [a, b] = await stores(2);
    a?.define(key, { tpm: 6000 }); // capacity 90 tokens, 0.1 a millisecond
    const cap = (6000 * HOLD) / 60;
    expect((await a?.take(key, 50))?.taken).toBe(true);
    const first = await stateOf(redis(), key);
    expect(first.tl).toBe(cap - 50); // cold: exact
    // A settlement is an answer: refill counts from it on, by Redis's clock (the state's "t").
    const level = async (expected: number) => {
      const s = await stateOf(redis(), key);
      const refill = ((s.t ?? 0) - (settledAt ?? s.t ?? 0)) * 0.1;
      expect(s.tl).toBeGreaterThanOrEqual(Math.min(cap, expected) - 1e-9);
      expect(s.tl).toBeLessThanOrEqual(Math.min(cap, expected + refill) + 1e-9);
      return s;
    };
    let settledAt: number | undefined;
    await a?.settle(key, 50, 20); // 30 back
    settledAt = (await stateOf(redis(), key)).t;
    await level(cap - 20);
    expect((await b?.take(key, 30))?.taken).toBe(true);
    await b?.settle(key, 30, 45); // 15 more charged
    await level(cap - 20 - 45);
    expect((await a?.take(key, 5))?.taken).toBe(true);
    await a?.settle(key, 5, undefined); // never counted: all back
    const s = await level(cap - 20 - 45);
    expect(s.k).toBe(20 + 45); // the aggregate of tokens counted
    expect(a?.share(key)).toEqual({ requests: 2, tokens: 20, allRequests: 3, allTokens: 65 });
    expect(b?.share(key)).toMatchObject({ requests: 1, tokens: 45 });
    await a?.settle(key, 0, 0);
    expect((await stateOf(redis(), key)).tl).toBeLessThanOrEqual(cap);
  });

  it("a 429 in one process pauses the quota in all; a shorter pause does not shorten it", async () => {
    const key = freshKey();
    const [a, b] = await stores(2);
    a?.define(key, { rpm: 6000 });
    b?.define(key, { rpm: 6000 });
    expect((await b?.take(key, 1))?.taken).toBe(true);
    await a?.pause(key, 5_000);
    await b?.pause(key, 10); // shorter: the longer stays
    const r = await b?.take(key, 1);
    expect(r).toMatchObject({ taken: false, blockedBy: "rpm" });
    const wait = r && !r.taken && "waitMs" in r ? r.waitMs : 0;
    expect(wait).toBeGreaterThan(4_000);
    expect(wait).toBeLessThanOrEqual(5_000 + 4);
    const s = await stateOf(redis(), key);
    expect(s.rl).toBeLessThanOrEqual(0); // the server's bucket is empty: ours too
  });

  it("limits: the lowest told by any live process applies; learned limits are shared and the lowest wins", async () => {
    const key = freshKey();
    const [a, b, c] = await stores(3);
    a?.define(key, { rpm: 500 });
    b?.define(key, { rpm: 300, tpm: 90_000 });
    await a?.take(key, 1);
    await b?.take(key, 1);
    await c?.take(key, 1);
    expect(c?.gauges(key)).toMatchObject({ rpm: 300, tpm: 90_000, rpmLearned: false, tpmLearned: false });
    // Server headers read by one process inform all: a lower learned limit wins.
    await a?.observe(key, { limitRequests: 200, limitTokens: 100_000 });
    await c?.take(key, 1);
    expect(c?.gauges(key)).toMatchObject({ rpm: 200, tpm: 90_000, rpmLearned: true, tpmLearned: false });
    await b?.observe(key, { limitRequests: 150, limitTokens: 40_000 });
    await a?.observe(key, { limitRequests: 200, limitTokens: 100_000 }); // a higher report elsewhere does not lift it
    await c?.take(key, 1);
    expect(c?.gauges(key)).toMatchObject({ rpm: 150, tpm: 40_000, rpmLearned: true, tpmLearned: true });
    expect(c?.status()).toEqual({ connected: true, peers: 3 });
  });

  it("remaining-* read by one process lowers the shared level for all", async () => {
    const key = freshKey();
    const [a, b] = await stores(2);
    a?.define(key, { rpm: 6000, tpm: 600_000 }); // capacities 90 and 9000
    await a?.take(key, 10);
    // The server says 100 requests and 5000 tokens short of full.
    await a?.observe(key, { limitRequests: 6000, remainingRequests: 5900, limitTokens: 600_000, remainingTokens: 595_000 });
    const s = await stateOf(redis(), key);
    expect(s.rl).toBeLessThanOrEqual(90 - 99);
    expect(s.tl).toBeLessThanOrEqual(9000 - 4999);
    expect(s.cu).toBe(0); // an answer ends the cold phase
    const r = await b?.take(key, 1);
    expect(r?.taken).toBe(false);
  });

  it("no limit known yet: the first process sends its burst, the others wait for the first answer, whose headers give the limit to all", async () => {
    const key = freshKey();
    const [a, b] = await stores(2);
    const first = await Promise.all(Array.from({ length: 16 }, () => a?.take(key, 100)));
    expect(first.every((r) => r?.taken)).toBe(true); // unlimited: as one process alone
    const r = await b?.take(key, 100);
    expect(r).toMatchObject({ taken: false, blockedBy: "rpm" });
    // Asked again soon, not told to sleep out the whole bound (nothing would wake it at the answer).
    expect(r && !r.taken && "waitMs" in r ? r.waitMs : 0).toBeLessThanOrEqual(DISCOVER_RECHECK_MS + 4);
    // The first answer: the server's limits and what it has left.
    await a?.observe(key, { limitRequests: 1_200, remainingRequests: 1_184, limitTokens: 200_000, remainingTokens: 198_400 });
    expect((await b?.take(key, 100))?.taken).toBe(true);
    expect(b?.gauges(key)).toMatchObject({ rpm: 1_200, tpm: 200_000, rpmLearned: true, tpmLearned: true });
  });

  it("no limit known yet: the others keep waiting past the cold second until the first answer comes (a slow first answer is no reason to send blind)", async () => {
    const key = freshKey();
    const [a, b] = await stores(2);
    expect((await a?.take(key, 100))?.taken).toBe(true);
    await new Promise((r) => setTimeout(r, 1_300));
    expect((await b?.take(key, 100))?.taken).toBe(false);
    // An answer without rate-limit headers ends the discovery too: waiting longer would teach nothing.
    await a?.settle(key, 100, 90);
    expect((await b?.take(key, 100))?.taken).toBe(true);
  });
});
