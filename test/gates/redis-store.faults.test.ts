import { createHash } from "node:crypto";
import { expect, it, vi } from "vitest";
import { QUOTA_SCRIPT } from "../../src/gates/redis/quota-script.js";
import { maskRedisUrl, openRedisQuotaStore, RedisQuotaStoreError } from "../../src/gates/redis-quota-store.js";
import { describeRedis, freePort, startRedisServer, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, stateOf, useStores } from "./redis-helpers.js";

const PASSWORD = "hunter2-s3cr3t";

describeRedis("Redis quota store: faults", () => {
  const redis = useRedisServer({ password: PASSWORD });
  const stores = useStores(redis);

  it("unreachable at start: rejects naming the URL with the password masked, and the cause", async () => {
    const port = await freePort();
    const url = `redis://user:${PASSWORD}@127.0.0.1:${port}`;
    const err = await openRedisQuotaStore({ url, commandTimeoutMs: 500 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RedisQuotaStoreError);
    const e = err as RedisQuotaStoreError;
    expect(e.message).toContain(`redis://user:***@127.0.0.1:${port}`);
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.url).toBe(`redis://user:***@127.0.0.1:${port}`);
    expect(JSON.stringify({ ...e, message: e.message, stack: e.stack })).not.toContain(PASSWORD);
  });

  it("a wrong password at start: rejects with Redis's reason, the password masked", async () => {
    const url = `redis://:wrong-${PASSWORD}@127.0.0.1:${redis().port}`;
    const err = (await openRedisQuotaStore({ url, commandTimeoutMs: 500 }).catch((e: unknown) => e)) as Error;
    expect(err).toBeInstanceOf(RedisQuotaStoreError);
    expect(err.message).toMatch(/WRONGPASS|invalid/i);
    expect(err.message).not.toContain(PASSWORD);
    const none = (await openRedisQuotaStore({ url: redis().urlWithoutPassword, commandTimeoutMs: 500 }).catch((e: unknown) => e)) as Error;
    expect(none.message).toMatch(/NOAUTH/);
  });

  it("maskRedisUrl masks the password and nothing else", () => {
    expect(maskRedisUrl("rediss://alice:p%40ss@cache.example:6380/2")).toBe("rediss://alice:***@cache.example:6380/2");
    expect(maskRedisUrl("redis://:pw@h:1")).toBe("redis://:***@h:1");
    expect(maskRedisUrl("redis://h:1")).toBe("redis://h:1");
    expect(maskRedisUrl("not a url//x:y@z")).toBe("not a url//***@z");
  });

  it("the store's properties and status never hold the password", async () => {
    const [s] = await stores(1);
    expect(s?.url).toBe(`redis://:***@127.0.0.1:${redis().port}`);
    expect(JSON.stringify(s)).not.toContain(PASSWORD);
    expect(JSON.stringify(s?.status())).not.toContain(PASSWORD);
  });

  it("NOSCRIPT after SCRIPT FLUSH: the script is loaded again and the take answers", async () => {
    const key = freshKey();
    const [s] = await stores(1);
    s?.define(key, { rpm: 600 });
    expect((await s?.take(key, 1))?.taken).toBe(true);
    await redis().command("SCRIPT", "FLUSH");
    const sha = createHash("sha1").update(QUOTA_SCRIPT).digest("hex");
    expect(await redis().command("SCRIPT", "EXISTS", sha)).toEqual([0]);
    expect((await s?.take(key, 1))?.taken).toBe(true);
    expect(await redis().command("SCRIPT", "EXISTS", sha)).toEqual([1]);
    expect((await stateOf(redis(), key)).n).toBe(2);
    expect(s?.status().connected).toBe(true);
  });
});

describeRedis("Redis quota store: Redis lost mid-run", () => {
  it("killed -9: calls go on with local buckets at limit ÷ peers, one warning, and rejoin after a restart", async () => {
    const server = await startRedisServer();
    const warnings: string[] = [];
    const infos: string[] = [];
    const open = (extra = {}) => openRedisQuotaStore({ url: server.url, commandTimeoutMs: 300, ...extra });
    const a = await open({ onWarning: (m: string) => warnings.push(m), onInfo: (m: string) => infos.push(m) });
    const b = await open();
    try {
      const key = freshKey();
      a.define(key, { rpm: 6000, tpm: 1_000_000 });
      b.define(key, { rpm: 6000, tpm: 1_000_000 });
      expect((await a.take(key, 1)).taken).toBe(true);
      expect((await b.take(key, 1)).taken).toBe(true);
      expect((await a.take(key, 1)).taken).toBe(true); // a now knows of b
      expect(a.status()).toEqual({ connected: true, peers: 2 });
      await server.kill9();
      // Every call answers; none throws.
      const results = await Promise.all(Array.from({ length: 60 }, () => a.take(key, 1)));
      await a.settle(key, 1, 1);
      await a.pause(key, 1);
      await a.observe(key, { limitRequests: 6000, remainingRequests: 5000 });
      expect(a.status().connected).toBe(false);
      // The share is half the limit: 6000 / 2 processes = 3000 RPM, a bucket of 45.
      expect(a.gauges(key).rpm).toBe(3000);
      expect(results.filter((r) => r.taken).length).toBeLessThanOrEqual(45);
      expect(results.filter((r) => r.taken).length).toBeGreaterThan(0);
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toContain(`redis://127.0.0.1:${server.port}`);
      await a.take(key, 1);
      expect(warnings).toHaveLength(1);
      await server.restart();
      await vi.waitFor(() => expect(a.status().connected).toBe(true), { timeout: 10_000, interval: 50 });
      expect(infos.some((m) => m.includes("answers again"))).toBe(true);
      expect((await a.take(key, 1)).taken).toBe(true);
      expect((await stateOf(server, key)).n).toBe(1); // counted in the restarted Redis: rejoined
      expect(warnings).toHaveLength(1);
      // Lost again: still one warning; the second loss is told as information.
      const infosBefore = infos.length;
      await server.kill9();
      expect((await a.take(key, 1)).taken).toBe(true);
      expect(a.status().connected).toBe(false);
      expect(warnings).toHaveLength(1);
      expect(infos.slice(infosBefore).some((m) => m.includes("unreachable"))).toBe(true);
      await server.restart();
      await vi.waitFor(() => expect(a.status().connected).toBe(true), { timeout: 10_000, interval: 50 });
    } finally {
      await a.close();
      await b.close();
      await server.close();
    }
  });

  it("answering slowly (DEBUG SLEEP): a take is answered locally within the command timeout, before Redis wakes", async () => {
    const server = await startRedisServer();
    const warnings: string[] = [];
    const a = await openRedisQuotaStore({ url: server.url, commandTimeoutMs: 200, onWarning: (m) => warnings.push(m) });
    try {
      const key = freshKey();
      a.define(key, { rpm: 600 });
      expect((await a.take(key, 1)).taken).toBe(true);
      let redisWoke = false;
      const sleeping = server.command("DEBUG", "SLEEP", "3").then(() => {
        redisWoke = true;
      });
      await new Promise((r) => setTimeout(r, 50)); // the sleep has reached Redis
      const r = await a.take(key, 1);
      expect(redisWoke).toBe(false);
      expect(r.taken).toBe(true); // from the local buckets
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/no answer within 200 ms/);
      await sleeping;
      await vi.waitFor(() => expect(a.status().connected).toBe(true), { timeout: 10_000, interval: 50 });
      expect((await a.take(key, 1)).taken).toBe(true);
    } finally {
      await a.close();
      await server.close();
    }
  });
});
