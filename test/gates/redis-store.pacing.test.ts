/**
 * Pacing across processes: four stores ("processes") on one Redis quota, each with its own
 * `Quota` queue and a backlog, admit together what one in-memory quota admits alone over the
 * same window (both run side by side in this test, so the ratio does not depend on the machine).
 */
import { setMaxListeners } from "node:events";
import { expect, it } from "vitest";
import { MemoryQuotaStore } from "../../src/gates/memory-quota-store.js";
import { Quota } from "../../src/gates/quota.js";
import type { QuotaLimits, QuotaStore } from "../../src/gates/quota-store.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, stateOf, useStores } from "./redis-helpers.js";

/** Keeps `backlog` requests of `tokens` waiting at `quota` until `signal` aborts; counts admissions. */
async function drive(quota: Quota, tokens: number, backlog: number, signal: AbortSignal): Promise<number> {
  let admitted = 0;
  setMaxListeners(backlog + 4, signal);
  const worker = async () => {
    while (!signal.aborted) {
      try {
        const grant = await quota.acquire(tokens, signal);
        if (signal.aborted) return;
        admitted++;
        quota.settle(grant, tokens);
      } catch {
        return; // aborted
      }
    }
  };
  await Promise.all(Array.from({ length: backlog }, worker));
  return admitted;
}

function quotaOver(store: QuotaStore, key: string, limits: QuotaLimits): Quota {
  void store.define(key, limits);
  return new Quota(key, key, store);
}

describeRedis("Redis quota store: pacing across processes", () => {
  const redis = useRedisServer();
  const stores = useStores(redis);

  for (const [name, limits, tokens] of [
    ["RPM-bound", { rpm: 6_000 }, 1],
    ["TPM-bound", { rpm: 100_000, tpm: 300_000 }, 50],
  ] as const) {
    it(`${name}: four stores together admit what one in-memory quota admits (±3 %), each a fair part`, { timeout: 20_000 }, async () => {
      const key = freshKey();
      const shared = await stores(4);
      const quotas = shared.map((s) => quotaOver(s, key, limits));
      const alone = quotaOver(new MemoryQuotaStore(), "alone", limits);
      const stop = new AbortController();
      const runs = [drive(alone, tokens, 8, stop.signal), ...quotas.map((q) => drive(q, tokens, 8, stop.signal))];
      setTimeout(() => stop.abort(), 3_000);
      const [baseline = 0, ...each] = await Promise.all(runs);
      const total = each.reduce((a, b) => a + b, 0);
      expect(baseline).toBeGreaterThan(100);
      expect(total / baseline).toBeGreaterThan(0.97);
      expect(total / baseline).toBeLessThan(1.03);
      for (const n of each) expect(n / total).toBeGreaterThan(0.15); // a fair part is 0.25
      // Redis counted every admission (a few more: grants that came after the stop were not counted here).
      const counted = (await stateOf(redis(), key)).n ?? 0;
      expect(counted).toBeGreaterThanOrEqual(total);
      expect(counted).toBeLessThanOrEqual(total + 4 * 8);
    });
  }
});
