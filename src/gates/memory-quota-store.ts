/**
 * The default quota store: each quota's buckets in this process, as an `RpmGate` and a `TpmGate`
 * (the paced buckets the simulator mirrors), answering synchronously so the call path does not
 * await it.
 */
import type { RateLimitInfo } from "../types.js";
import { systemClock, type Clock } from "./clock.js";
import { RUN_GATE_OPTIONS } from "./gate-options.js";
import type { QuotaGauges, QuotaLimits, QuotaStore, TakeResult } from "./quota-store.js";
import { RpmGate } from "./rpm-gate.js";
import { ServerShadow } from "./server-shadow.js";
import { TpmGate } from "./tpm-gate.js";

interface Buckets {
  rpm: RpmGate;
  tpm: TpmGate;
  /**
   * Until the server first answers under this quota (or `COLD_MS` passed): the levels after the
   * last take, and when this phase ends. A fresh quota's first burst may reach the server late (new
   * connections, a cold process): the server's bucket sits full meanwhile and gains no refill,
   * so refill counted here before the server has seen anything would be admission it never
   * grants. Meanwhile admission spends only what the bucket held; refill counts from the answer.
   */
  cold: { rpm: number; tpm: number; until: number } | undefined;
  /** The server's buckets as its last answer showed them, less what was admitted since (see `ServerShadow`). */
  rpmShadow: ServerShadow;
  tpmShadow: ServerShadow;
}

/** The longest a fresh quota waits for its first answer before refill counts anyway: one enforcement slice. */
const COLD_MS = 1_000;

const TAKEN: TakeResult = { taken: true };

export interface MemoryQuotaStoreOptions {
  /** @default systemClock */
  clock?: Clock;
}

export class MemoryQuotaStore implements QuotaStore {
  readonly #quotas = new Map<string, Buckets>();
  readonly #clock: Clock | undefined;

  constructor(options: MemoryQuotaStoreOptions = {}) {
    this.#clock = options.clock;
  }

  define(key: string, limits: QuotaLimits): void {
    const b = this.#quotas.get(key);
    if (b === undefined) {
      const clock = this.#clock === undefined ? {} : { clock: this.#clock };
      const rpm = new RpmGate({ ...RUN_GATE_OPTIONS, ...clock, limit: limits.rpm });
      const tpm = new TpmGate({ ...RUN_GATE_OPTIONS, ...clock, limit: limits.tpm });
      const cold = { rpm: rpm.available, tpm: tpm.available, until: this.#now() + COLD_MS };
      this.#quotas.set(key, { rpm, tpm, cold, rpmShadow: new ServerShadow(), tpmShadow: new ServerShadow() });
      return;
    }
    // Two steps on one model that tell it different limits: the lower one holds for both.
    tighten(b.rpm, limits.rpm);
    tighten(b.tpm, limits.tpm);
  }

  take(key: string, tokens: number): TakeResult {
    const b = this.#buckets(key);
    const { rpm, tpm } = b;
    const refused = tpm.refusal(tokens);
    if (refused) return { taken: false, refused };
    if (b.cold && this.#now() >= b.cold.until) this.#warm(b);
    const cold = b.cold;
    if (cold && (cold.rpm < Math.min(1, rpm.capacity) || cold.tpm < Math.min(tokens, tpm.capacity))) {
      // The first burst is spent: wait for the server's first answer (it wakes the queue), at most `COLD_MS`.
      return { taken: false, waitMs: Math.max(1, cold.until - this.#now()), blockedBy: cold.rpm < 1 ? "rpm" : "tpm" };
    }
    const now = this.#now();
    this.#followShadows(b, now);
    const rpmWait = Math.max(rpm.msUntilAdmissible(1), b.rpmShadow.msUntilAdmissible(1, rpm.capacity, rpm.ratePerMs, now));
    const tpmWait = Math.max(tpm.msUntilAdmissible(tokens), b.tpmShadow.msUntilAdmissible(tokens, tpm.capacity, tpm.ratePerMs, now));
    if (rpmWait > 0 || tpmWait > 0) return { taken: false, waitMs: Math.max(rpmWait, tpmWait), blockedBy: rpmWait >= tpmWait ? "rpm" : "tpm" };
    rpm.charge(1);
    tpm.charge(tokens);
    b.rpmShadow.charge(1);
    b.tpmShadow.charge(tokens);
    if (cold) {
      cold.rpm -= 1;
      cold.tpm -= tokens;
    }
    return TAKEN;
  }

  settle(key: string, reserved: number, used: number | undefined): void {
    const b = this.#buckets(key);
    if (b.cold) this.#warm(b);
    b.tpm.charge(used === undefined ? -reserved : used - reserved);
    if (used === undefined) {
      b.rpmShadow.release(1);
      b.tpmShadow.release(reserved);
    }
  }

  /** Lowers each gate to what the server's bucket holds once the requests since its last answer arrive. */
  #followShadows(b: Buckets, now: number): void {
    followShadow(b.rpm, b.rpmShadow, now);
    followShadow(b.tpm, b.tpmShadow, now);
  }

  /** Ends the cold phase: refill counted meanwhile is not granted; it counts from now. */
  #warm(b: Buckets): void {
    const cold = b.cold;
    if (cold === undefined) return;
    b.cold = undefined;
    for (const [gate, level] of [
      [b.rpm, cold.rpm],
      [b.tpm, cold.tpm],
    ] as const) {
      const gained = gate.available - level;
      if (Number.isFinite(gained) && gained > 0) gate.charge(gained);
    }
  }

  #now(): number {
    return (this.#clock ?? systemClock).now();
  }

  pause(key: string, ms: number): void {
    const b = this.#buckets(key);
    b.rpm.pauseFor(ms);
    b.tpm.pauseFor(ms);
  }

  observe(key: string, info: RateLimitInfo): void {
    const b = this.#buckets(key);
    if (b.cold) this.#warm(b);
    const now = this.#now();
    // Before the answer's headers replace the shadow: they were computed before the requests
    // still in front of the server were charged, so what the server wasted must be dropped first.
    this.#followShadows(b, now);
    b.rpm.observe(info);
    b.tpm.observe(info);
    b.rpmShadow.observe(b.rpm.serverLevel(info), now);
    b.tpmShadow.observe(b.tpm.serverLevel(info), now);
  }

  gauges(key: string): QuotaGauges {
    const { rpm, tpm } = this.#buckets(key);
    return { rpm: rpm.limit, tpm: tpm.limit, rpmLearned: isLearned(rpm), tpmLearned: isLearned(tpm), rpmAvailable: rpm.available, tpmAvailable: tpm.available };
  }

  #buckets(key: string): Buckets {
    let b = this.#quotas.get(key);
    if (b === undefined) {
      this.define(key, {});
      b = this.#quotas.get(key) as Buckets;
    }
    return b;
  }
}

/** On the hot path of every take: no allocation. */
function followShadow(gate: RpmGate | TpmGate, shadow: ServerShadow, now: number): void {
  const room = shadow.room(gate.capacity, gate.ratePerMs, now);
  if (room === undefined) return;
  const excess = gate.available - room;
  if (excess > 0) gate.charge(excess);
}

function tighten(gate: RpmGate | TpmGate, limit: number | undefined): void {
  if (limit === undefined) return;
  const told = gate.limit;
  if (told === undefined || limit < told) gate.setLimit(limit);
}

function isLearned(gate: RpmGate | TpmGate): boolean {
  return gate.learnedLimit !== undefined && gate.limit === gate.learnedLimit;
}
