/**
 * Opening the shared quota store (`--redis`, `redis:` of the library's runs) on demand: the Redis
 * client is imported only here, and only when a run names a Redis, so a run without one neither
 * loads nor starts it.
 */
import { maskRedisUrl, scrub } from "../gates/redis/redis-url.js";
import { UsageError } from "../errors.js";
import type { RedisQuotaStore, RedisQuotaStoreOptions } from "../gates/redis-quota-store.js";

export type { RedisQuotaStore, RedisQuotaStoreOptions } from "../gates/redis-quota-store.js";

/**
 * Connects to the Redis at `options.url` and returns a quota store shared by every process that
 * opens the same one (give it as `quotaStore` to `runBatch`, `runPipeline` or `BaseLLMService`,
 * and `close()` it when done). Rejects when Redis cannot be reached; the message names the URL
 * with its password masked.
 */
export async function openRedisQuotaStore(options: RedisQuotaStoreOptions): Promise<RedisQuotaStore> {
  const { openRedisQuotaStore: open } = await import("../gates/redis-quota-store.js");
  return open(options);
}

/**
 * A run's shared store, opened before anything is sent: a Redis that cannot be reached is a
 * usage error (exit 2), naming the URL with its password masked and what went wrong.
 */
export async function openRunQuotaStore(url: string, tell: Pick<RedisQuotaStoreOptions, "onWarning" | "onInfo">, source = "--redis"): Promise<RedisQuotaStore> {
  try {
    return await openRedisQuotaStore({ url, onWarning: tell.onWarning, onInfo: tell.onInfo });
  } catch (err) {
    const message = (err as Error).message ?? String(err);
    const masked = maskRedisUrl(url);
    const text = message.includes(masked) ? message : `cannot use Redis at ${masked}: ${message}`;
    throw new UsageError(`${source}: ${scrub(text, url)}; nothing was sent`);
  }
}
