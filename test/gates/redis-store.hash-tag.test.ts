/**
 * Redis Cluster: every key of one quota carries the same hash tag, so the script (which declares
 * them all) runs on one node; a cluster-enabled redis-server (one node serving every slot) refuses
 * a script whose keys hash to different slots with CROSSSLOT, which the control shows.
 */
import { expect, it } from "vitest";
import { quotaKeys } from "../../src/gates/redis/quota-keys.js";
import { openRedisQuotaStore } from "../../src/gates/redis-quota-store.js";
import { describeRedis, RespError, startRedisServer } from "../helpers/redis-server.js";
import { freshKey } from "./redis-helpers.js";

describeRedis("Redis quota store: keys of a quota share one hash slot", () => {
  it("on a cluster-enabled server: one slot for all keys of a quota, and the store works there", { timeout: 20_000 }, async () => {
    const server = await startRedisServer({ args: ["--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"] });
    try {
      expect(await server.command("CLUSTER", "ADDSLOTSRANGE", "0", "16383")).toBe("OK");
      for (let i = 0; i < 200 && !String(await server.command("CLUSTER", "INFO")).includes("cluster_state:ok"); i++) {
        await new Promise((r) => setTimeout(r, 50));
      }
      const key = freshKey();
      const keys = quotaKeys(key);
      const slots = await Promise.all(keys.map((k) => server.command("CLUSTER", "KEYSLOT", k)));
      expect(new Set(slots).size).toBe(1);
      // The control: without the tag, the same names spread over several slots, and Redis refuses them together.
      const untagged = keys.map((k) => k.replace(/[{}]/g, ""));
      const spread = await Promise.all(untagged.map((k) => server.command("CLUSTER", "KEYSLOT", k)));
      expect(new Set(spread).size).toBeGreaterThan(1);
      const refused = await server.command("EVAL", "return 1", String(untagged.length), ...untagged);
      expect(refused).toBeInstanceOf(RespError);
      expect(String((refused as RespError).message)).toMatch(/CROSSSLOT/);

      const store = await openRedisQuotaStore({ url: server.url, commandTimeoutMs: 2_000 });
      try {
        store.define(key, { rpm: 600, tpm: 60_000 });
        expect((await store.take(key, 10)).taken).toBe(true);
        await store.settle(key, 10, 5);
        await store.pause(key, 1);
        await store.observe(key, { limitRequests: 600, remainingRequests: 590 });
        expect(store.status().connected).toBe(true);
        expect(store.share(key)).toMatchObject({ requests: 1, tokens: 5, allRequests: 1, allTokens: 5 });
      } finally {
        await store.close();
      }
    } finally {
      await server.close();
    }
  });
});
