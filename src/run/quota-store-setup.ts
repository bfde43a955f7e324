/**
 * Opening the shared quota store (`--redis`, `redis:` of the library's runs) on demand: the Redis
 * client is imported only here, and only when a run names a Redis, so a run without one neither
 * loads nor starts it.
 */
import { maskUrlPassword } from "../config/redis-url.js";
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
    const masked = maskUrlPassword(url);
    const text = message.includes(masked) ? message : `${masked}: ${message}`;
    throw new UsageError(`${source}: cannot use the Redis for the shared quotas: ${scrub(text, url)}; nothing was sent`);
  }
}

/** A client's message that quotes the URL as given would show its password: masked here too. */
function scrub(text: string, url: string): string {
  let password = "";
  try {
    const u = new URL(url);
    password = decodeURIComponent(u.password || u.username);
  } catch {
    return text;
  }
  return password === "" ? text : text.split(password).join("***");
}
