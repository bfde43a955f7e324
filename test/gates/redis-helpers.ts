/** Stores over the test's redis-server, and reads of a quota's raw state in Redis. */
import { afterEach } from "vitest";
import { quotaKeys } from "../../src/gates/redis/quota-keys.js";
import { openRedisQuotaStore, type RedisQuotaStore, type RedisQuotaStoreOptions } from "../../src/gates/redis-quota-store.js";
import type { RedisServer } from "../helpers/redis-server.js";

/** Opens stores (one per simulated process) and closes them after each test. */
export function useStores(redis: () => RedisServer): (n?: number, options?: Partial<RedisQuotaStoreOptions>) => Promise<RedisQuotaStore[]> {
  const open: RedisQuotaStore[] = [];
  afterEach(async () => {
    await Promise.all(open.splice(0).map((s) => s.close()));
  });
  return async (n = 1, options = {}) => {
    const stores = await Promise.all(Array.from({ length: n }, () => openRedisQuotaStore({ url: redis().url, ...options })));
    open.push(...stores);
    return stores;
  };
}

let counter = 0;
/** A quota key no other test uses. */
export function freshKey(label = "q"): string {
  return `openai|http://127.0.0.1/v1|abcdef123456|${label}-${process.pid}-${++counter}-${Math.random()}`;
}

/** The quota's state hash in Redis, as numbers. */
export async function stateOf(redis: RedisServer, key: string): Promise<Record<string, number>> {
  const [state] = quotaKeys(key);
  const flat = (await redis.command("HGETALL", state)) as string[];
  const out: Record<string, number> = {};
  for (let i = 0; i < flat.length; i += 2) out[flat[i] as string] = Number(flat[i + 1]);
  return out;
}
