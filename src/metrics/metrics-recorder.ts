/**
 * Live counters for the progress bar, `--metrics-file` and `--report`: requests in flight, records
 * done, errors, waits by kind, cost so far, and request, token, error and latency rates over the
 * last 60 seconds. The rates come from a ring of 60 per-second buckets:
 * each event touches one bucket (O(1)), a bucket is recycled lazily when its second comes round
 * again, and no timer ever runs.
 */
import { systemClock, type Clock } from "../gates/clock.js";
import type { AttemptObserver } from "../engine/llm-call.js";
import { roundUsdTotal } from "../cost/prices.js";
import type { ErrorType, GenerationResult } from "../types.js";

/** Where time went waiting: the client's gates, or backing off before a retry (server side). */
export type WaitKind = "rpm" | "tpm" | "budget" | "retry";
export const WAIT_KINDS: readonly WaitKind[] = ["rpm", "tpm", "budget", "retry"];

const WINDOW_SECONDS = 60;

export interface MetricsSnapshot {
  /** Provider requests sent and not yet answered. */
  inFlight: number;
  /** Records finished (ok or not). */
  done: number;
  /** Provider requests started per minute, over the last 60 s (or since start, if sooner). */
  rpm: number;
  /** Tokens (input + output as reported) per minute, same window. */
  tpm: number;
  /** Records finished with an error. */
  errors: number;
  /** Records finished ok. */
  ok: number;
  /**
   * Records that failed without sending a request (refused by the budget, not attempted after a
   * stop, invalid input): part of `errors`, but not throughput, since they end in an instant.
   */
  unsent: number;
  /** Milliseconds since the recorder started. */
  elapsedMs: number;
  /** Failed attempts per minute, same window. */
  errorsPerMin: number;
  /** Mean latency of the records finished in the window (0 when none). */
  latencyMsAvg: number;
  /** Waits since the start, by kind. */
  waits: Record<WaitKind, { count: number; ms: number }>;
  /** Failed records since the start, by error type. */
  errorsByType: Partial<Record<ErrorType, number>>;
  /**
   * Cost of the finished records so far; null once a model without a price was billed (the
   * summary's rule: a partial sum never passes for the whole).
   */
  costUsd: number | null;
  /** What the priced models cost so far: the known spend, always a number. */
  pricedCostUsd: number;
  /** Tokens (input + output) billed by models without a price so far: the unknown part. */
  unpricedTokens: number;
  /** Provider requests started since the start. */
  requestsStarted: number;
  /** Tokens reported since the start. */
  tokens: number;
}

/** Per-second counts for the last 60 seconds. */
class SecondRing {
  readonly #second = new Float64Array(WINDOW_SECONDS).fill(-1);
  readonly #value = new Float64Array(WINDOW_SECONDS);

  add(second: number, amount: number): void {
    const slot = second % WINDOW_SECONDS;
    if (this.#second[slot] !== second) {
      this.#second[slot] = second; // stale bucket from a previous minute: start it over
      this.#value[slot] = 0;
    }
    this.#value[slot]! += amount;
  }

  /** Sum of the buckets for seconds in (nowSecond - 60, nowSecond]. */
  sum(nowSecond: number): number {
    let total = 0;
    for (let slot = 0; slot < WINDOW_SECONDS; slot++) {
      if (this.#second[slot]! > nowSecond - WINDOW_SECONDS) total += this.#value[slot]!;
    }
    return total;
  }
}

export class MetricsRecorder {
  readonly #clock: Clock;
  readonly #start: number;
  readonly #requests = new SecondRing();
  readonly #tokenRing = new SecondRing();
  readonly #errorRing = new SecondRing();
  readonly #latencySum = new SecondRing();
  readonly #latencyCount = new SecondRing();
  readonly #waits = Object.fromEntries(WAIT_KINDS.map((k) => [k, { count: 0, ms: 0 }])) as Record<WaitKind, { count: number; ms: number }>;
  readonly #errorsByType: Partial<Record<ErrorType, number>> = {};
  #cost = 0;
  #unpricedTokens = 0;
  /** A record's cost was null: an unpriced model answered. */
  #costUnknown = false;
  #started = 0;
  #finished = 0;
  #done = 0;
  #errors = 0;
  #unsent = 0;
  #tokens = 0;
  readonly #billUnknown = { attempts: 0, worstCaseUsd: 0 };

  constructor(clock: Clock = systemClock) {
    this.#clock = clock;
    this.#start = clock.now();
  }

  /** One provider request (an attempt, retries included) leaves for the server. */
  requestStarted(): void {
    this.#started++;
    this.#requests.add(this.#second(), 1);
  }

  /** A provider request came back (or failed); `tokens` is the usage it reported, if any. */
  requestFinished(tokens = 0, failed = false): void {
    this.#finished++;
    if (failed) this.#errorRing.add(this.#second(), 1);
    if (tokens > 0) {
      this.#tokens += tokens;
      this.#tokenRing.add(this.#second(), tokens);
    }
  }

  /** The engine's per-attempt observer feeding these counters (requests, tokens, failed attempts, waits). */
  attemptObserver(): AttemptObserver {
    return {
      attemptStarted: () => this.requestStarted(),
      attemptFinished: (response, error) => this.requestFinished(response ? response.usage.input_tokens + response.usage.output_tokens : 0, error !== undefined),
      waited: (kind, ms) => this.waited(kind, ms),
      attemptBillUnknown: (usd) => this.attemptBillUnknown(usd),
    };
  }

  /** An attempt failed with its bill unknown; `worstCaseUsd` is null for an unpriced model. */
  attemptBillUnknown(worstCaseUsd: number | null): void {
    this.#billUnknown.attempts++;
    if (worstCaseUsd !== null) this.#billUnknown.worstCaseUsd += worstCaseUsd;
  }

  /** Attempts that failed with their bill unknown, and their summed worst case (priced models only). */
  get costUnknown(): { attempts: number; worst_case_usd: number } {
    return { attempts: this.#billUnknown.attempts, worst_case_usd: roundUsdTotal(this.#billUnknown.worstCaseUsd) };
  }

  /** Provider requests sent and not yet answered, now. */
  get inFlight(): number {
    return this.#started - this.#finished;
  }

  /** A record reached its final result. */
  recordDone(ok: boolean): void {
    this.#done++;
    if (!ok) this.#errors++;
  }

  /** A wait at a gate or before a retry ended. */
  waited(kind: WaitKind, ms: number): void {
    this.#waits[kind].count++;
    this.#waits[kind].ms += ms;
  }

  /** A record's final result: counts it, its latency, its error type and its cost. */
  recordResult(result: GenerationResult): void {
    this.recordDone(result.ok);
    if (!result.ok) {
      const { type } = result.error;
      this.#errorsByType[type] = (this.#errorsByType[type] ?? 0) + 1;
      if (result.attempts === 0) this.#unsent++;
    }
    if (result.attempts > 0) {
      this.#latencySum.add(this.#second(), result.latency_ms);
      this.#latencyCount.add(this.#second(), 1);
    }
    this.#addCost(result);
  }

  /**
   * The priced part of a record's cost, step by step (a record with an unpriced step still has
   * priced ones), and the tokens of the unpriced part.
   */
  #addCost(result: GenerationResult): void {
    if (result.cost_usd !== null) {
      this.#cost += result.cost_usd;
      return;
    }
    this.#costUnknown = true;
    if (result.steps.length === 0) {
      this.#unpricedTokens += result.usage.input_tokens + result.usage.output_tokens;
      return;
    }
    for (const step of result.steps) {
      if (typeof step.cost_usd === "number") this.#cost += step.cost_usd;
      else if (step.cost_usd === null && step.usage) this.#unpricedTokens += step.usage.input_tokens + step.usage.output_tokens;
    }
  }

  get requestsStarted(): number {
    return this.#started;
  }

  get requestsFinished(): number {
    return this.#finished;
  }

  get totalTokens(): number {
    return this.#tokens;
  }

  /** What the priced models of the records finished so far cost: the known spend. */
  get pricedCostUsd(): number {
    return this.#cost;
  }

  snapshot(): MetricsSnapshot {
    const elapsed = (this.#clock.now() - this.#start) / 1000;
    const now = Math.floor(elapsed);
    // The ring holds 59 whole seconds plus the current, partial one; in the first minute the
    // window is only as long as the run, else early rates would read low. At least 1 s, so the
    // first few requests do not read as a huge rate.
    const span = Math.min(elapsed, WINDOW_SECONDS - 1 + (elapsed - now));
    const perMinute = 60 / Math.max(1, span);
    const latencyCount = this.#latencyCount.sum(now);
    return {
      inFlight: this.inFlight,
      done: this.#done,
      rpm: Math.round(this.#requests.sum(now) * perMinute),
      tpm: Math.round(this.#tokenRing.sum(now) * perMinute),
      errors: this.#errors,
      ok: this.#done - this.#errors,
      unsent: this.#unsent,
      elapsedMs: Math.round(elapsed * 1000),
      errorsPerMin: Math.round(this.#errorRing.sum(now) * perMinute * 10) / 10,
      latencyMsAvg: latencyCount > 0 ? Math.round(this.#latencySum.sum(now) / latencyCount) : 0,
      waits: Object.fromEntries(WAIT_KINDS.map((k) => [k, { count: this.#waits[k].count, ms: Math.round(this.#waits[k].ms) }])) as MetricsSnapshot["waits"],
      errorsByType: { ...this.#errorsByType },
      costUsd: this.#costUnknown ? null : roundUsdTotal(this.#cost),
      pricedCostUsd: roundUsdTotal(this.#cost),
      unpricedTokens: this.#unpricedTokens,
      requestsStarted: this.#started,
      tokens: this.#tokens,
    };
  }

  /** Whole seconds since this recorder started (the ring's time axis). */
  #second(): number {
    return Math.floor((this.#clock.now() - this.#start) / 1000);
  }
}
