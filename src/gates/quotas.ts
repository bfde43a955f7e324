/**
 * A run's quotas, one per thing a provider limits (`Provider.quotaScope`: for OpenAI the endpoint,
 * the API key's identity and the model), made on first use over one quota store. The run's limits
 * (`--rpm`/`--tpm`, the pipeline's `limits:`) apply to each quota; a step's own `limits:` to the
 * quotas its calls spend.
 */
import type { Provider } from "../types.js";
import type { Clock } from "./clock.js";
import { MemoryQuotaStore } from "./memory-quota-store.js";
import { Quota } from "./quota.js";
import type { QuotaLimits, QuotaStore } from "./quota-store.js";

export interface QuotasOptions {
  /** Where the buckets live. @default a new `MemoryQuotaStore` */
  store?: QuotaStore | undefined;
  /** Limits of every quota (a step's own `limits:` are applied over them). @default unlimited, until the server says */
  limits?: QuotaLimits | undefined;
  /** @default systemClock */
  clock?: Clock | undefined;
}

export class Quotas {
  readonly store: QuotaStore;
  readonly limits: QuotaLimits;
  readonly #clock: Clock | undefined;
  readonly #byKey = new Map<string, Quota>();
  /** Each quota's step limits already told to the store (a step's limits object is told once). */
  readonly #told = new WeakMap<Quota, Set<QuotaLimits>>();

  constructor(options: QuotasOptions = {}) {
    this.limits = options.limits ?? {};
    this.#clock = options.clock;
    this.store = options.store ?? new MemoryQuotaStore(this.#clock === undefined ? {} : { clock: this.#clock });
  }

  /**
   * The quota a call of `model` through `provider` spends; `limits`: the step's own, if it has some
   * (over the run's). Steps that share a quota and tell it different limits share the lowest, in
   * whichever order they come.
   */
  for(provider: Provider, model: string, limits?: QuotaLimits): Quota {
    const scope = provider.quotaScope?.(model) ?? { key: `${provider.name}|${model}`, label: model };
    let quota = this.#byKey.get(scope.key);
    if (quota === undefined) {
      quota = new Quota(scope.key, scope.label, this.store, this.#clock);
      this.#byKey.set(scope.key, quota);
      this.#told.set(quota, new Set());
    }
    const told = this.#told.get(quota) as Set<QuotaLimits>;
    const own = limits ?? this.limits;
    if (!told.has(own)) {
      told.add(own);
      void this.store.define(scope.key, own === this.limits ? own : { ...this.limits, ...defined(own) });
    }
    return quota;
  }

  /** Every quota used so far, in order of first use. */
  list(): Quota[] {
    return [...this.#byKey.values()];
  }

  /** Requests queued at any quota, by the bucket holding them back. */
  waiting(): { rpm: number; tpm: number } {
    const n = { rpm: 0, tpm: 0 };
    for (const q of this.#byKey.values()) {
      if (q.waiting === 0) continue;
      const w = q.waitingFor();
      n.rpm += w.rpm;
      n.tpm += w.tpm;
    }
    return n;
  }
}

function defined(limits: QuotaLimits): QuotaLimits {
  const out: QuotaLimits = {};
  if (limits.rpm !== undefined) out.rpm = limits.rpm;
  if (limits.tpm !== undefined) out.tpm = limits.tpm;
  return out;
}
