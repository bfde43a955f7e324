/**
 * A quota store shared by every process that names the same Redis (`--redis`): each quota's RPM
 * and TPM buckets, its told and learned limits and its pause after a 429 live in Redis, and every
 * step on them is one run of one Lua script (`redis/quota-script.ts`): one round trip per admission.
 * The waiting stays in each process (`Quota`'s FIFO and single timer): a refused take answers how
 * long to wait, and the process sleeps that long (plus a little jitter), never polling.
 *
 * FAIRNESS between processes (the bound the docs quote): a process whose request is refused gets a
 * ticket dated by its first refusal (Redis time), kept while it keeps asking. A request may take
 * only what the buckets hold beyond the needs of every older ticket (one RPM unit and the TPM
 * estimate each, `min(cost, capacity)` as the buckets admit), so across processes requests are
 * admitted in the order their processes started waiting, as one FIFO would: a later request
 * passes an earlier one only when the buckets hold both, which delays the earlier one not at all.
 * The bound: a refused request is told the wait until its request fits behind the older tickets,
 * and no later request, from any process, can push that moment back; it is admitted at its retry
 * then, at most `JITTER_MS` (3 ms) plus one round trip plus its own timer's lateness after the
 * moment it fits. Only what delays everyone can delay it more: the server's answers lowering the
 * buckets (usage above the estimate, a 429's pause, remaining-* below our level) and older tickets
 * whose own requests need a whole bucket. Within a process, `Quota` keeps its waiters FIFO and
 * only its head asks. A ticket not renewed within its wait plus `TICKET_GRACE_MS` (1 s: its process
 * died, or its request was aborted) is dropped, so a dead process holds the others back at most
 * that long. While no process knows any limit of a quota, only the first to take sends (its burst,
 * as one process alone would) and the others wait for its first answer, 1 s at most.
 *
 * CRASHED PROCESSES: every admitted request is recorded with an expiry (`reservationTtlMs`,
 * default 10 minutes, beyond any request's timeout) and settled ones are forgotten; expired ones are
 * reclaimed by the script (counted, listed in the in-flight gauge until then). In a paced bucket a
 * reservation is spent when taken and the refill pays it back at the limit's pace, so a killed
 * process costs at most the refunds it never made (the estimates of its requests in flight, less
 * their usage), once; nothing it held keeps the limit lower afterwards. What could: its ticket
 * (dropped after its wait + `TICKET_GRACE_MS`) and its told or learned limits, which count only
 * while its entry in the quota's process list is fresh (`PROCESS_TTL_MS`, renewed by every call and
 * a heartbeat every third of it).
 *
 * REDIS FAULTS: every command races `commandTimeoutMs`. A command that fails or times out mid-run
 * switches the store to local in-memory buckets (`MemoryQuotaStore`) at a conservative share of
 * each quota: its limit divided by the number of processes last seen live on it (this one
 * included; 1 when never seen), learned limits divided the same way. One warning goes to
 * `onWarning`; the store probes Redis every `PROBE_MS` in the background and rejoins when it
 * answers within the timeout again (`onInfo` says so). No call ever fails or waits beyond the
 * timeout because of Redis. Settlements are applied where the store stands at the time (a
 * reservation taken in Redis and settled locally refunds into the local bucket, capped at its
 * capacity), and a take that timed out may still have been counted in Redis: both err by at most
 * the requests in flight at the switch.
 *
 * SECURITY: the URL is kept and shown with its password masked (`maskRedisUrl`), and client errors
 * are scrubbed of it. Quota keys hold a hash of the API key, and Redis sees only a hash of the
 * quota key (`redis/quota-keys.ts`).
 */
import { randomBytes } from "node:crypto";
import type { RateLimitInfo } from "../types.js";
import { GateError } from "./gate-error.js";
import { TRANSIT_MARGIN_MS } from "./gate-options.js";
import { MemoryQuotaStore } from "./memory-quota-store.js";
import type { QuotaGauges, QuotaLimits, QuotaStore, TakeResult } from "./quota-store.js";
import { QUOTA_SCRIPT, REPLY } from "./redis/quota-script.js";
import { type QuotaKeys, quotaKeys } from "./redis/quota-keys.js";
import { RedisLink, RedisTimeoutError } from "./redis/redis-link.js";
import { maskRedisUrl } from "./redis/redis-url.js";

export { maskRedisUrl } from "./redis/redis-url.js";
export { RedisQuotaStoreError, RedisTimeoutError } from "./redis/redis-link.js";

/** Seconds' worth of the limit a bucket holds: `PacedBucket`'s one-second burst less the engine's transit margin. */
const HOLD_SECONDS = Math.max(0.5, 1 - TRANSIT_MARGIN_MS / 1000);
/** As `MemoryQuotaStore`'s cold phase: refill counts from the first answer, or after this long. */
const COLD_MS = 1_000;
/** A process's entry (its limits, its count among the live) lasts this long unless renewed (a heartbeat renews it every third of it). */
export const PROCESS_TTL_MS = 15_000;
/** A ticket lasts the wait its holder was given plus this. */
export const TICKET_GRACE_MS = 1_000;
/** Added (uniformly, up to this) to every wait a refused take is told, so woken peers do not collide. */
export const JITTER_MS = 3;
/** While on local buckets, Redis is asked this often whether it answers again. */
const PROBE_MS = 1_000;

export interface RedisQuotaStoreOptions {
  /** `redis://` or `rediss://`, with user and password if Redis needs them. */
  url: string;
  /** Told once, when Redis is lost mid-run (the store goes on with local buckets). */
  onWarning?: ((message: string) => void) | undefined;
  /** Told when the store rejoins Redis, and of further losses after the first. */
  onInfo?: ((message: string) => void) | undefined;
  /** The longest any Redis command may take before the store stops waiting for it. @default 1000 */
  commandTimeoutMs?: number | undefined;
  /** How long an admitted request's reservation lasts unsettled before it is reclaimed. @default 600000 */
  reservationTtlMs?: number | undefined;
  /** How long a process counts among the live (its told and learned limits with it) after its last call. @default 15000 */
  processTtlMs?: number | undefined;
  /** Prefix of every key written. @default "llmbatch" */
  keyPrefix?: string | undefined;
}

/** This process's part of a quota's traffic, beside all processes'. */
export interface QuotaShare {
  /** Requests this process was admitted, and the tokens the server counted for them. */
  requests: number;
  tokens: number;
  /** The same for every process on this Redis (since the quota's keys were created; they expire when idle). */
  allRequests: number;
  allTokens: number;
}

/** What the last reply said of a quota. */
interface View {
  rpmLimit: number | undefined;
  tpmLimit: number | undefined;
  rpmLearned: boolean;
  tpmLearned: boolean;
  rpmLevel: number;
  tpmLevel: number;
  /** `performance.now()` when the reply came. */
  at: number;
  peers: number;
  allRequests: number;
  allTokens: number;
  inFlight: number;
  reclaimed: number;
}

interface SharedQuota {
  readonly keys: QuotaKeys;
  told: QuotaLimits;
  learned: QuotaLimits;
  /** Redis time of this process's ticket for the quota ("0": none). */
  since: string;
  seq: number;
  /** Reservation ids not yet settled, oldest first. */
  held: string[];
  view: View | undefined;
  requests: number;
  tokens: number;
}

/** Opens a store on the Redis at `options.url`; rejects (`RedisQuotaStoreError`, password masked) when it cannot be used. */
export function openRedisQuotaStore(options: RedisQuotaStoreOptions): Promise<RedisQuotaStore> {
  return RedisQuotaStore.open(options);
}

export class RedisQuotaStore implements QuotaStore {
  /** The Redis URL, password masked. */
  readonly url: string;
  readonly #onWarning: (message: string) => void;
  readonly #onInfo: (message: string) => void;
  readonly #reservationTtlMs: number;
  readonly #processTtlMs: number;
  readonly #prefix: string;
  /** This process among the others: random, so nothing about the host is written. */
  readonly #proc = randomBytes(6).toString("hex");
  readonly #quotas = new Map<string, SharedQuota>();
  #link: RedisLink | undefined;
  /** Set while Redis is lost: the local buckets answering meanwhile. */
  #local: MemoryQuotaStore | undefined;
  #warned = false;
  #probing = false;
  #closed = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #prober: NodeJS.Timeout | undefined;

  /** As `openRedisQuotaStore`. */
  static async open(options: RedisQuotaStoreOptions): Promise<RedisQuotaStore> {
    const timeoutMs = positive(options.commandTimeoutMs, "commandTimeoutMs") ?? 1_000;
    const reservationTtlMs = positive(options.reservationTtlMs, "reservationTtlMs") ?? 600_000;
    const processTtlMs = positive(options.processTtlMs, "processTtlMs") ?? PROCESS_TTL_MS;
    const store = new RedisQuotaStore(options, reservationTtlMs, processTtlMs);
    store.#link = await RedisLink.open(options.url, timeoutMs, QUOTA_SCRIPT, {
      onDown: (reason) => store.#lost(reason),
      onReady: () => store.#probe(),
    });
    store.#heartbeat = setInterval(() => store.#beat(), processTtlMs / 3);
    store.#heartbeat.unref();
    return store;
  }

  private constructor(options: RedisQuotaStoreOptions, reservationTtlMs: number, processTtlMs: number) {
    this.url = maskRedisUrl(options.url);
    this.#onWarning = options.onWarning ?? (() => {});
    this.#onInfo = options.onInfo ?? (() => {});
    this.#reservationTtlMs = reservationTtlMs;
    this.#processTtlMs = processTtlMs;
    this.#prefix = options.keyPrefix ?? "llmbatch";
  }

  define(key: string, limits: QuotaLimits): void {
    const q = this.#quota(key);
    q.told = { rpm: lowest(q.told.rpm, limits.rpm), tpm: lowest(q.told.tpm, limits.tpm) };
    this.#local?.define(key, this.#localLimits(q));
  }

  async take(key: string, tokens: number): Promise<TakeResult> {
    const q = this.#quota(key);
    if (this.#local === undefined) {
      const id = `${this.#proc}:${++q.seq}`;
      const reply = await this.#run(q, "take", [String(tokens), q.since, id, String(this.#reservationTtlMs), String(TICKET_GRACE_MS)]);
      if (reply !== undefined) {
        const status = reply[REPLY.status];
        if (status === "1") {
          q.since = "0";
          q.held.push(id);
          q.requests++;
          return { taken: true };
        }
        if (status === "-1") return { taken: false, refused: new GateError(tokens, q.view?.tpmLimit ?? 0, "tokens", "TPM") };
        q.since = reply[REPLY.since] ?? "0";
        const waitMs = Number(reply[REPLY.waitMs]) + Math.random() * JITTER_MS;
        return { taken: false, waitMs: Math.max(1, Math.ceil(waitMs)), blockedBy: reply[REPLY.blockedBy] === "2" ? "tpm" : "rpm" };
      }
    }
    const local = this.#local as MemoryQuotaStore;
    const r = local.take(key, tokens);
    if (r.taken) q.requests++;
    return r;
  }

  async settle(key: string, reserved: number, used: number | undefined): Promise<void> {
    const q = this.#quota(key);
    if (used !== undefined) q.tokens += used;
    if (this.#local === undefined) {
      const id = q.held.shift() ?? "";
      if ((await this.#run(q, "settle", [String(reserved), used === undefined ? "" : String(used), id])) !== undefined) return;
    }
    this.#local?.settle(key, reserved, used);
  }

  async pause(key: string, ms: number): Promise<void> {
    const q = this.#quota(key);
    if (this.#local === undefined && (await this.#run(q, "pause", [String(ms)])) !== undefined) return;
    this.#local?.pause(key, ms);
  }

  async observe(key: string, info: RateLimitInfo): Promise<void> {
    const q = this.#quota(key);
    if (positiveNumber(info.limitRequests)) q.learned.rpm = info.limitRequests;
    if (positiveNumber(info.limitTokens)) q.learned.tpm = info.limitTokens;
    if (this.#local === undefined) {
      const args = [info.remainingRequests, info.remainingTokens, info.limitRequests, info.limitTokens].map((v) => (v === undefined || !Number.isFinite(v) ? "" : String(v)));
      if ((await this.#run(q, "observe", args)) !== undefined) return;
    }
    this.#local?.observe(key, scaledInfo(info, peersOf(q)));
  }

  gauges(key: string): QuotaGauges {
    if (this.#local) return this.#local.gauges(key);
    const q = this.#quota(key);
    const v = q.view;
    if (v === undefined) {
      const rpm = lowest(q.told.rpm, q.learned.rpm);
      const tpm = lowest(q.told.tpm, q.learned.tpm);
      return { rpm, tpm, rpmLearned: false, tpmLearned: false, rpmAvailable: capacity(rpm), tpmAvailable: capacity(tpm) };
    }
    const elapsed = Math.max(0, performance.now() - v.at);
    return {
      rpm: v.rpmLimit,
      tpm: v.tpmLimit,
      rpmLearned: v.rpmLearned,
      tpmLearned: v.tpmLearned,
      rpmAvailable: refilled(v.rpmLevel, v.rpmLimit, elapsed),
      tpmAvailable: refilled(v.tpmLevel, v.tpmLimit, elapsed),
    };
  }

  /** This process's requests and tokens under quota `key` beside all processes' (undefined: a quota not used here). */
  share(key: string): QuotaShare | undefined {
    const q = this.#quotas.get(key);
    if (q === undefined) return undefined;
    return { requests: q.requests, tokens: q.tokens, allRequests: q.view?.allRequests ?? q.requests, allTokens: q.view?.allTokens ?? q.tokens };
  }

  /** Whether the quotas are shared right now, and the most processes seen live on any of this process's quotas (itself included). */
  status(): { connected: boolean; peers: number } {
    let peers = 1;
    for (const q of this.#quotas.values()) peers = Math.max(peers, q.view?.peers ?? 1);
    return { connected: this.#local === undefined && this.#link?.ready === true, peers };
  }

  /** In-flight reservations of all processes under `key` and how many expired unsettled, at the last reply. */
  reservations(key: string): { inFlight: number; reclaimed: number } | undefined {
    const v = this.#quotas.get(key)?.view;
    return v === undefined ? undefined : { inFlight: v.inFlight, reclaimed: v.reclaimed };
  }

  /** Leaves every quota (this process no longer counts among the live) and closes the connection. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    clearInterval(this.#prober);
    const link = this.#link;
    if (link && this.#local === undefined) {
      await Promise.allSettled([...this.#quotas.values()].map((q) => link.run(q.keys, this.#args(q, "leave", []))));
    }
    link?.close();
  }

  /** Redis was lost (a failed or timed-out command, a dropped connection): local buckets until it answers again. */
  #lost(reason: string): void {
    if (this.#local !== undefined || this.#closed) return;
    const local = new MemoryQuotaStore();
    this.#local = local;
    for (const [key, q] of this.#quotas) {
      local.define(key, this.#localLimits(q));
      q.held = [];
      q.since = "0";
    }
    const message = `Redis at ${this.url} is unreachable (${reason}): each quota goes on with local buckets at its limit ÷ the processes last seen sharing it, and rejoins when Redis answers`;
    if (this.#warned) this.#onInfo(message);
    else {
      this.#warned = true;
      this.#onWarning(message);
    }
    this.#prober = setInterval(() => this.#probe(), PROBE_MS);
    this.#prober.unref();
  }

  /** Rejoins Redis if it answers within the timeout. */
  #probe(): void {
    const link = this.#link;
    if (this.#local === undefined || this.#probing || this.#closed || link === undefined || !link.ready) return;
    this.#probing = true;
    link.ping().then(
      () => {
        this.#probing = false;
        if (this.#local === undefined || this.#closed) return;
        this.#local = undefined;
        clearInterval(this.#prober);
        this.#onInfo(`Redis at ${this.url} answers again: quotas are shared again`);
      },
      () => {
        this.#probing = false;
      },
    );
  }

  #quota(key: string): SharedQuota {
    let q = this.#quotas.get(key);
    if (q === undefined) {
      q = { keys: quotaKeys(key, this.#prefix), told: {}, learned: {}, since: "0", seq: 0, held: [], view: undefined, requests: 0, tokens: 0 };
      this.#quotas.set(key, q);
      this.#local?.define(key, this.#localLimits(q));
    }
    return q;
  }

  /** One script call; undefined (and the store switched to local buckets) when Redis failed it. */
  async #run(q: SharedQuota, op: string, extra: string[]): Promise<string[] | undefined> {
    const link = this.#link as RedisLink;
    try {
      const reply = await link.run(q.keys, this.#args(q, op, extra));
      this.#read(q, reply);
      return reply;
    } catch (err) {
      this.#lost(err instanceof RedisTimeoutError ? err.message : link.describe(err));
      return undefined;
    }
  }

  #args(q: SharedQuota, op: string, extra: string[]): string[] {
    const n = (v: number | undefined) => String(v ?? 0);
    return [
      op,
      this.#proc,
      String(HOLD_SECONDS),
      String(this.#reservationTtlMs + 60_000),
      String(this.#processTtlMs),
      String(COLD_MS),
      n(q.told.rpm),
      n(q.told.tpm),
      n(q.learned.rpm),
      n(q.learned.tpm),
      ...extra,
    ];
  }

  #read(q: SharedQuota, r: string[]): void {
    const num = (i: number) => Number(r[i]);
    const limit = (i: number) => (num(i) > 0 ? num(i) : undefined);
    q.view = {
      rpmLimit: limit(REPLY.rpmLimit),
      tpmLimit: limit(REPLY.tpmLimit),
      rpmLearned: r[REPLY.rpmLearned] === "1",
      tpmLearned: r[REPLY.tpmLearned] === "1",
      rpmLevel: num(REPLY.rpmLevel),
      tpmLevel: num(REPLY.tpmLevel),
      at: performance.now(),
      peers: Math.max(1, num(REPLY.peers)),
      allRequests: num(REPLY.allRequests),
      allTokens: num(REPLY.allTokens),
      inFlight: num(REPLY.inFlight),
      reclaimed: num(REPLY.reclaimed),
    };
  }

  /** The share of quota `q` local buckets may spend while Redis is away. */
  #localLimits(q: SharedQuota): QuotaLimits {
    const n = peersOf(q);
    const rpm = lowest(q.view?.rpmLimit, q.told.rpm);
    const tpm = lowest(q.view?.tpmLimit, q.told.tpm);
    return { rpm: rpm === undefined ? undefined : rpm / n, tpm: tpm === undefined ? undefined : tpm / n };
  }

  #beat(): void {
    const link = this.#link;
    if (this.#local !== undefined || this.#closed || link === undefined) return;
    for (const q of this.#quotas.values()) void this.#run(q, "touch", []);
  }
}

function peersOf(q: SharedQuota): number {
  return Math.max(1, q.view?.peers ?? 1);
}

/** A reply's limits and remaining read as this process's share of them (local buckets while Redis is away). */
function scaledInfo(info: RateLimitInfo, n: number): RateLimitInfo {
  if (n <= 1) return info;
  const out: RateLimitInfo = { ...info };
  if (info.limitRequests !== undefined) out.limitRequests = info.limitRequests / n;
  if (info.limitTokens !== undefined) out.limitTokens = info.limitTokens / n;
  if (info.remainingRequests !== undefined) out.remainingRequests = info.remainingRequests / n;
  if (info.remainingTokens !== undefined) out.remainingTokens = info.remainingTokens / n;
  return out;
}

function lowest(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

function capacity(limit: number | undefined): number {
  return limit === undefined ? Infinity : (limit * HOLD_SECONDS) / 60;
}

function refilled(level: number, limit: number | undefined, elapsedMs: number): number {
  if (limit === undefined) return Infinity;
  return Math.min(capacity(limit), level + (elapsedMs * limit) / 60_000);
}

function positiveNumber(v: number | undefined): v is number {
  return v !== undefined && Number.isFinite(v) && v > 0;
}

function positive(v: number | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  if (!positiveNumber(v)) throw new RangeError(`${name} must be a positive number of milliseconds, got ${String(v)}`);
  return v;
}
