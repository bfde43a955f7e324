import { expect, it } from "vitest";
import type { TakeResult } from "../../src/gates/quota-store.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, stateOf, useStores } from "./redis-helpers.js";

const HOLD = 0.9; // one second's burst less the 100 ms transit margin

describeRedis("Redis quota store: admission takes both buckets or neither", () => {
  const redis = useRedisServer();
  const stores = useStores(redis);

  // A fresh quota's first second is cold (no refill counts), so admissions are exactly what the
  // first burst holds, whatever the timing; the test checks it was still cold at the end.
  it("TPM-bound: many concurrent takers in four stores, the RPM bucket is charged only for the admitted", async () => {
    const key = freshKey();
    const all = await stores(4);
    for (const s of all) s.define(key, { rpm: 6000, tpm: 600 }); // capacities 90 requests, 9 tokens
    const results: TakeResult[] = await Promise.all(all.flatMap((s) => Array.from({ length: 25 }, () => s.take(key, 2))));
    const taken = results.filter((r) => r.taken).length;
    expect(taken).toBe(4); // 4 × 2 tokens fit in 9, a fifth does not
    const state = await stateOf(redis(), key);
    expect(state.cu).toBeGreaterThan(0); // still cold: no refill muddied the count
    expect(state.rl).toBe((6000 * HOLD) / 60 - taken);
    expect(state.tl).toBe((600 * HOLD) / 60 - 2 * taken);
    expect(state.n).toBe(taken);
    const refused = results.filter((r): r is Extract<TakeResult, { waitMs: number }> => !r.taken && "waitMs" in r);
    expect(refused.length).toBe(100 - taken);
    expect(refused.every((r) => r.blockedBy === "tpm" && r.waitMs > 0)).toBe(true);
  });

  it("RPM-bound: the TPM bucket is charged only for the admitted", async () => {
    const key = freshKey();
    const all = await stores(4);
    for (const s of all) s.define(key, { rpm: 600, tpm: 60_000 }); // capacities 9 requests, 900 tokens
    const results = await Promise.all(all.flatMap((s) => Array.from({ length: 25 }, () => s.take(key, 10))));
    const taken = results.filter((r) => r.taken).length;
    expect(taken).toBe(9);
    const state = await stateOf(redis(), key);
    expect(state.cu).toBeGreaterThan(0);
    expect(state.rl).toBeCloseTo(0, 9);
    expect(state.tl).toBe((60_000 * HOLD) / 60 - 10 * taken);
    expect(results.filter((r) => !r.taken && "blockedBy" in r && r.blockedBy === "rpm").length).toBe(100 - taken);
    // The share: each store's own admissions add up to the aggregate.
    const shares = all.map((s) => s.share(key));
    expect(shares.reduce((n, sh) => n + (sh?.requests ?? 0), 0)).toBe(taken);
  });

  it("a refusal debits nothing; a request larger than the whole TPM limit is refused for good", async () => {
    const key = freshKey();
    const [a] = await stores(1);
    a?.define(key, { rpm: 600, tpm: 600 });
    expect((await a?.take(key, 8))?.taken).toBe(true); // 9 - 8 = 1 token left
    const before = await stateOf(redis(), key);
    const r = await a?.take(key, 5);
    expect(r).toMatchObject({ taken: false, blockedBy: "tpm" });
    const after = await stateOf(redis(), key);
    expect([after.rl, after.tl, after.n]).toEqual([before.rl, before.tl, before.n]);
    const huge = await a?.take(key, 601);
    expect(huge && !huge.taken && "refused" in huge ? huge.refused.message : "").toBe("request needs 601 tokens but the TPM limit is 600");
    expect((await stateOf(redis(), key)).tl).toBe(before.tl);
  });
});
