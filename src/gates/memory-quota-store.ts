/**
 * The default quota store: each quota's buckets in this process, as an `RpmGate` and a `TpmGate`
 * (the paced buckets the simulator mirrors), answering synchronously so the call path does not
 * await it.
 */
import type { RateLimitInfo } from "../types.js";
import type { Clock } from "./clock.js";
import { RUN_GATE_OPTIONS } from "./gate-options.js";
import type { QuotaGauges, QuotaLimits, QuotaStore, TakeResult } from "./quota-store.js";
import { RpmGate } from "./rpm-gate.js";
import { TpmGate } from "./tpm-gate.js";

interface Buckets {
  rpm: RpmGate;
  tpm: TpmGate;
}

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
      this.#quotas.set(key, {
        rpm: new RpmGate({ ...RUN_GATE_OPTIONS, ...clock, limit: limits.rpm }),
        tpm: new TpmGate({ ...RUN_GATE_OPTIONS, ...clock, limit: limits.tpm }),
      });
      return;
    }
    // Two steps on one model that tell it different limits: the lower one holds for both.
    tighten(b.rpm, limits.rpm);
    tighten(b.tpm, limits.tpm);
  }

  take(key: string, tokens: number): TakeResult {
    const { rpm, tpm } = this.#buckets(key);
    const refused = tpm.refusal(tokens);
    if (refused) return { taken: false, refused };
    const rpmWait = rpm.msUntilAdmissible(1);
    const tpmWait = tpm.msUntilAdmissible(tokens);
    if (rpmWait > 0 || tpmWait > 0) return { taken: false, waitMs: Math.max(rpmWait, tpmWait), blockedBy: rpmWait >= tpmWait ? "rpm" : "tpm" };
    rpm.charge(1);
    tpm.charge(tokens);
    return TAKEN;
  }

  settle(key: string, reserved: number, used: number | undefined): void {
    this.#buckets(key).tpm.charge(used === undefined ? -reserved : used - reserved);
  }

  pause(key: string, ms: number): void {
    const b = this.#buckets(key);
    b.rpm.pauseFor(ms);
    b.tpm.pauseFor(ms);
  }

  observe(key: string, info: RateLimitInfo): void {
    const b = this.#buckets(key);
    b.rpm.observe(info);
    b.tpm.observe(info);
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

function tighten(gate: RpmGate | TpmGate, limit: number | undefined): void {
  if (limit === undefined) return;
  const told = gate.limit;
  if (told === undefined || limit < told) gate.setLimit(limit);
}

function isLearned(gate: RpmGate | TpmGate): boolean {
  return gate.learnedLimit !== undefined && gate.limit === gate.learnedLimit;
}
