/**
 * The connection to Redis a shared quota store talks through: one client of `@redis/client`,
 * loaded on first use so a run without `--redis` never loads it.
 *
 * Why node-redis (`@redis/client` 6) rather than ioredis 6: it is Redis's own client, has no
 * dependencies at all (ioredis brings eight), runs on Node >= 20, speaks RESP3, handles Cluster
 * (`createCluster`) and reconnects on its own with a strategy we set; ioredis's README now sends
 * new projects to it. What it lacks we add here: its per-command `timeout` only covers a command
 * still waiting to be written (not one Redis is slow to answer), so every command races a timer of
 * our own; and on NOSCRIPT we load the script again instead of sending its source on every call.
 *
 * Commands are never queued while the connection is down (`disableOfflineQueue`): they fail at
 * once and the store answers from its local buckets meanwhile.
 */
import { createHash } from "node:crypto";
import { lazyModule } from "../../lazy-module.js";
import { maskRedisUrl, scrub } from "./redis-url.js";

type RedisModule = typeof import("@redis/client");
const redisClient = lazyModule<RedisModule>("@redis/client");

/** The part of a node-redis client this module uses. */
interface Client {
  connect(): Promise<unknown>;
  destroy(): void;
  sendCommand(args: readonly string[]): Promise<unknown>;
  on(event: "error", listener: (err: unknown) => void): unknown;
  on(event: "ready" | "end" | "reconnecting", listener: () => void): unknown;
  readonly isReady: boolean;
}

/** A command Redis did not answer within the bound. */
export class RedisTimeoutError extends Error {}

/** Opening the store failed: Redis unreachable, refused the password, or answered too slowly. */
export class RedisQuotaStoreError extends Error {
  /** The URL with its password masked. */
  readonly url: string;
  constructor(message: string, url: string) {
    super(message);
    this.name = "RedisQuotaStoreError";
    this.url = url;
  }
}

export interface RedisLinkEvents {
  /** The connection dropped or errored (may repeat while it is down). */
  onDown(reason: string): void;
  /** Connected again after a drop. */
  onReady(): void;
}

/** How long between reconnection attempts, growing from 50 ms to 2 s. */
function reconnectDelay(retries: number): number {
  return Math.min(2_000, 50 * 2 ** Math.min(retries, 6));
}

export class RedisLink {
  /** The URL with its password masked. */
  readonly url: string;
  readonly #rawUrl: string;
  readonly #client: Client;
  readonly #timeoutMs: number;
  readonly #script: string;
  readonly #sha: string;
  #closed = false;

  private constructor(client: Client, rawUrl: string, timeoutMs: number, script: string) {
    this.#client = client;
    this.#rawUrl = rawUrl;
    this.url = maskRedisUrl(rawUrl);
    this.#timeoutMs = timeoutMs;
    this.#script = script;
    this.#sha = createHash("sha1").update(script).digest("hex");
  }

  /**
   * Connects, loads `script` and checks it answers, all within `timeoutMs` each; rejects with a
   * `RedisQuotaStoreError` naming the masked URL and the cause. Once open, a dropped connection is
   * retried in the background for as long as the link lives.
   */
  static async open(url: string, timeoutMs: number, script: string, events: RedisLinkEvents): Promise<RedisLink> {
    const masked = maskRedisUrl(url);
    const fail = (cause: unknown): RedisQuotaStoreError => new RedisQuotaStoreError(`cannot use Redis at ${masked}: ${scrub(describe(cause), url)}`, masked);
    let opened = false;
    let client: Client;
    try {
      client = redisClient().createClient({
        url,
        disableOfflineQueue: true,
        socket: {
          connectTimeout: timeoutMs,
          // Before the store is open a failure is final (the run must not start); after, retry.
          reconnectStrategy: (retries: number, cause: Error) => (opened ? reconnectDelay(retries) : cause),
        },
      }) as unknown as Client;
    } catch (err) {
      throw fail(err);
    }
    const link = new RedisLink(client, url, timeoutMs, script);
    client.on("error", (err) => {
      if (opened && !link.#closed) events.onDown(scrub(describe(err), url));
    });
    client.on("end", () => {
      if (opened && !link.#closed) events.onDown("connection closed");
    });
    client.on("ready", () => {
      if (opened && !link.#closed) events.onReady();
    });
    try {
      await link.#bounded(client.connect(), "connect");
      const sha = await link.#bounded(client.sendCommand(["SCRIPT", "LOAD", script]), "SCRIPT LOAD");
      if (sha !== link.#sha) throw new Error(`SCRIPT LOAD answered ${String(sha)}, expected ${link.#sha}`);
    } catch (err) {
      link.#closed = true;
      client.destroy();
      throw fail(err);
    }
    opened = true;
    return link;
  }

  /** Whether the client is connected now (commands may still time out). */
  get ready(): boolean {
    return !this.#closed && this.#client.isReady;
  }

  /** Runs the script (EVALSHA; on NOSCRIPT, loads it again and retries once). */
  async run(keys: readonly string[], args: readonly string[]): Promise<string[]> {
    const argv = [String(keys.length), ...keys, ...args];
    try {
      return (await this.#bounded(this.#client.sendCommand(["EVALSHA", this.#sha, ...argv]), "EVALSHA")) as string[];
    } catch (err) {
      if (!describe(err).startsWith("NOSCRIPT")) throw err;
      await this.#bounded(this.#client.sendCommand(["SCRIPT", "LOAD", this.#script]), "SCRIPT LOAD");
      return (await this.#bounded(this.#client.sendCommand(["EVALSHA", this.#sha, ...argv]), "EVALSHA")) as string[];
    }
  }

  /** A PING within the bound: whether Redis answers promptly again. */
  async ping(): Promise<void> {
    await this.#bounded(this.#client.sendCommand(["PING"]), "PING");
  }

  /** Closes the connection at once (commands in flight fail). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#client.destroy();
  }

  /** Scrubs the password from whatever an error says. */
  describe(err: unknown): string {
    return scrub(describe(err), this.#rawUrl);
  }

  /** `p`, or a `RedisTimeoutError` after the command timeout (the late reply is dropped by the client). */
  #bounded<T>(p: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      // On expiry, one more turn of the event loop first: after a stall of the whole process (a busy
      // machine, a long synchronous task) the timer and the reply are both due, and timers run
      // before sockets are read; the reply that came in meanwhile must win, not a false "Redis lost".
      timer = setTimeout(() => setImmediate(() => reject(new RedisTimeoutError(`${what} got no answer within ${this.#timeoutMs} ms`))), this.#timeoutMs);
    });
    return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
  }
}

function describe(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return err.errors.map(describe).join("; ");
  if (err instanceof Error) return err.message || err.name;
  return String(err);
}
