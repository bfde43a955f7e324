/**
 * `--redis <url>` (and `LLMBATCH_REDIS_URL`): checked when the flags are, before anything is
 * opened or sent, without loading the Redis client. A URL may carry a password
 * (`redis://user:secret@host:6379`), so every message here shows it masked.
 */
import { UsageError } from "../errors.js";
import { maskRedisUrl } from "../gates/redis/redis-url.js";

/** The form a Redis URL must have, in the words of the error messages. */
export const REDIS_URL_FORM = "redis://[user:password@]host[:port][/db] or rediss://… (TLS)";

/** The environment variable `--redis` falls back to. */
export const REDIS_URL_ENV = "LLMBATCH_REDIS_URL";

/**
 * Checks a Redis URL given as `source` (`--redis` or `LLMBATCH_REDIS_URL`) and returns it as
 * given: `redis:` or `rediss:`, a host, a port from 1 to 65535, a database number if any.
 */
export function checkRedisUrl(source: string, raw: string): string {
  const bad = (why: string) => new UsageError(`${source} must be a Redis URL, ${REDIS_URL_FORM}: ${why}, got ${JSON.stringify(maskRedisUrl(raw))}`);
  if (!raw.includes("://")) {
    const where = maskRedisUrl(`redis://${raw.trim()}`).slice("redis://".length);
    throw bad(`it has no scheme (for a Redis on ${where}, write redis://${where})`);
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw bad("it is not a URL");
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") throw bad(`the scheme is "${url.protocol.replace(/:$/, "")}"`);
  if (url.hostname === "") throw bad("it names no host");
  const db = url.pathname.replace(/^\//, "");
  if (db !== "" && !/^[0-9]+$/.test(db)) throw bad(`the path must be a database number, not "${db}"`);
  if (url.search !== "" || url.hash !== "") throw bad("it has a query or fragment, which llmbatch does not read");
  return raw.trim();
}
