/**
 * The server's shadow, shared: after an answer, the quota admits no more than the server's bucket
 * can hold until the next answer (refill the server wastes while it sees none of our requests, a
 * stalled server, is not spent), as the in-memory store does; while answers keep coming it costs
 * nothing of the rate.
 */
import { expect, it } from "vitest";
import type { QuotaStore } from "../../src/gates/quota-store.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, useStores } from "./redis-helpers.js";

const RPM = 6_000; // a bucket of 90, 100 a second
const FULL = { limitRequests: RPM, remainingRequests: RPM };

/** Takes for `ms`, settling each at once; `answerEvery` ms a reply's headers say the server is full. */
async function drive(store: QuotaStore, key: string, ms: number, answerEvery: number | undefined): Promise<number> {
  let admitted = 0;
  const end = performance.now() + ms;
  let nextAnswer = performance.now() + (answerEvery ?? Infinity);
  while (performance.now() < end) {
    const r = await store.take(key, 1);
    if (r.taken) {
      admitted++;
      await store.settle(key, 1, 1);
    }
    if (performance.now() >= nextAnswer) {
      await store.observe(key, FULL);
      nextAnswer += answerEvery ?? Infinity;
    }
    if (!r.taken && "waitMs" in r) await new Promise((res) => setTimeout(res, r.waitMs));
  }
  return admitted;
}

describeRedis("Redis quota store: the server's shadow", () => {
  const redis = useRedisServer();
  const stores = useStores(redis);

  it("without an answer for 1.5 s, no more than one bucket is admitted; with answers, the full rate", { timeout: 20_000 }, async () => {
    const [silent, answered] = await stores(2);
    const k1 = freshKey();
    const k2 = freshKey();
    silent?.define(k1, { rpm: RPM });
    answered?.define(k2, { rpm: RPM });
    await silent?.observe(k1, FULL); // the last answer before the server stops answering
    await answered?.observe(k2, FULL);
    // The answered quota runs twice as long, so a loaded machine's slower round trips still show
    // whether the shadow binds (one bucket, 90) or not (90 + 100 a second).
    const [quiet = 0, busy = 0] = await Promise.all([drive(silent as QuotaStore, k1, 1_500, undefined), drive(answered as QuotaStore, k2, 3_000, 100)]);
    expect(quiet).toBeLessThanOrEqual(91); // one bucket (90), not 90 + 150
    expect(quiet).toBeGreaterThanOrEqual(85);
    expect(busy).toBeGreaterThan(130); // up to ~390: the shadow does not bind while answers come
  });
});
