/**
 * Fairness between processes: a request refused earlier (in another process) keeps its claim on
 * the buckets, so a later small one cannot slip in ahead of it; and a claim whose process stops
 * asking lapses after its wait plus the grace, so a dead process holds the others back that long.
 * Waits are computed: a refused process asks again a few times, not in a loop.
 */
import { expect, it } from "vitest";
import { TICKET_GRACE_MS } from "../../src/gates/redis-quota-store.js";
import type { TakeResult } from "../../src/gates/quota-store.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, useStores } from "./redis-helpers.js";

function waitOf(r: TakeResult | undefined): number {
  if (r === undefined || r.taken || !("waitMs" in r)) throw new Error(`expected a wait, got ${JSON.stringify(r)}`);
  return r.waitMs;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describeRedis("Redis quota store: fairness between processes", () => {
  const redis = useRedisServer();
  const stores = useStores(redis);

  it("a later small request waits behind an earlier big one of another process, which is admitted first", async () => {
    const key = freshKey();
    const [x, y] = await stores(2);
    for (const s of [x, y]) s?.define(key, { tpm: 6_000 }); // 90 tokens of bucket, 100 a second
    expect((await x?.take(key, 90))?.taken).toBe(true);
    await x?.settle(key, 90, 90); // an answer: refill counts from now
    const xWait = waitOf(await x?.take(key, 80)); // ~800 ms until 80 fit
    const yWait = waitOf(await y?.take(key, 10)); // alone it would fit in ~100 ms; behind x, ~900
    expect(yWait).toBeGreaterThan(xWait);
    // x, asking again when told, is admitted; y after it.
    await sleep(xWait);
    expect((await x?.take(key, 80))?.taken).toBe(true);
    await sleep(Math.max(0, yWait - xWait));
    let r = await y?.take(key, 10);
    for (let i = 0; i < 3 && !r?.taken; i++) {
      await sleep(waitOf(r));
      r = await y?.take(key, 10);
    }
    expect(r?.taken).toBe(true);
  });

  it("the same requests without the earlier one: the small one's wait is the bucket's alone (the control)", async () => {
    const key = freshKey();
    const [x, y] = await stores(2);
    for (const s of [x, y]) s?.define(key, { tpm: 6_000 });
    expect((await x?.take(key, 90))?.taken).toBe(true);
    await x?.settle(key, 90, 90);
    const yWait = waitOf(await y?.take(key, 10));
    expect(yWait).toBeLessThan(300);
  });

  it("a claim whose process stops asking lapses after its wait plus the grace; the waiter asks a few times, never in a loop", async () => {
    const key = freshKey();
    const [x, y] = await stores(2);
    for (const s of [x, y]) s?.define(key, { tpm: 6_000 });
    expect((await x?.take(key, 90))?.taken).toBe(true);
    await x?.settle(key, 90, 90);
    const xWait = waitOf(await x?.take(key, 90)); // a whole bucket: y cannot fit beside it
    // x never asks again (its process died, or its request was aborted).
    const started = performance.now();
    let asks = 0;
    let r: TakeResult | undefined;
    for (;;) {
      r = await y?.take(key, 10);
      asks++;
      if (r?.taken || asks > 20) break;
      await sleep(waitOf(r));
    }
    expect(r?.taken).toBe(true);
    expect(asks).toBeLessThanOrEqual(5);
    // y got in only once x's claim lapsed: after x's wait and the grace.
    expect(performance.now() - started).toBeGreaterThanOrEqual(xWait + TICKET_GRACE_MS - 50);
  });
});
