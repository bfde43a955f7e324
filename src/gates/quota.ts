/**
 * One quota as a run sees it: requests wait here, in arrival order and without spinning, until the
 * store takes their RPM unit and TPM estimate together; then they are settled on what the server
 * counted. The store holds the buckets (in memory, or shared); this holds the queue, the one timer
 * for its head, and the run's own counts of the quota (requests, tokens, waits, 429s).
 */
import type { RateLimitInfo } from "../types.js";
import { systemClock, type Clock } from "./clock.js";
import { isPromise, type QuotaGauges, type QuotaStore, type TakeResult } from "./quota-store.js";
import { HeadTimer } from "./head-timer.js";
import { WaiterQueue, type QueueNode } from "./waiter-queue.js";

/** An admitted request's claim on the quota, settled once. */
export interface QuotaGrant {
  readonly tokens: number;
  /** Time queued, split by the bucket that held it back (whole ms, at least 1 when it waited). */
  readonly rpmWaitMs: number;
  readonly tpmWaitMs: number;
}

/** What one run sent under a quota: the per-quota figures of the summary and the live metrics. */
export interface QuotaCounters {
  /** Requests admitted (each attempt is one). */
  requests: number;
  /** Tokens the server counted for them (input + output). */
  tokens: number;
  rpm_waits: number;
  rpm_wait_ms: number;
  tpm_waits: number;
  tpm_wait_ms: number;
  /** 429 rate-limit answers under this quota. */
  rate_limited: number;
}

interface Waiter extends QueueNode {
  tokens: number;
  /** When the current stretch of waiting began, and which bucket it is charged to. */
  since: number;
  blockedBy: "rpm" | "tpm";
  rpmMs: number;
  tpmMs: number;
  resolve(grant: QuotaGrant): void;
  reject(reason: unknown): void;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

class Grant implements QuotaGrant {
  settled = false;
  constructor(
    readonly tokens: number,
    readonly rpmWaitMs: number,
    readonly tpmWaitMs: number,
  ) {}
}

const UNWAITED = 0;

export class Quota {
  readonly key: string;
  /** For people (summary, report): never the API key. */
  readonly label: string;
  readonly counters: QuotaCounters = { requests: 0, tokens: 0, rpm_waits: 0, rpm_wait_ms: 0, tpm_waits: 0, tpm_wait_ms: 0, rate_limited: 0 };
  readonly #store: QuotaStore;
  readonly #clock: Clock;
  readonly #queue = new WaiterQueue<Waiter>();
  readonly #timer: HeadTimer;
  /** A `take` of the head is awaited (async stores): one at a time, so the order holds. */
  #pumping = false;
  #repump = false;
  /** The bucket that last held a request back: what a request queued behind others waits for. */
  #blockedBy: "rpm" | "tpm" = "rpm";

  constructor(key: string, label: string, store: QuotaStore, clock: Clock = systemClock) {
    this.key = key;
    this.label = label;
    this.#store = store;
    this.#clock = clock;
    this.#timer = new HeadTimer(this.#clock, () => this.#pump());
  }

  /** Requests queued here. */
  get waiting(): number {
    return this.#queue.size;
  }

  /** Requests queued here, by the bucket holding each back (the live metrics' `queued`). */
  waitingFor(): { rpm: number; tpm: number } {
    const n = { rpm: 0, tpm: 0 };
    for (let w = this.#queue.head; w !== undefined; w = w.next as Waiter | undefined) n[w.blockedBy]++;
    return n;
  }

  gauges(): QuotaGauges {
    return this.#store.gauges(this.key);
  }

  /**
   * Admits one request of `tokens`: a grant at once when nobody is queued and the store takes both
   * (no promise on that path with a synchronous store), else a promise that resolves in arrival
   * order. Rejects with the store's refusal (larger than the whole TPM limit) or the signal's reason.
   */
  acquire(tokens: number, signal?: AbortSignal): QuotaGrant | Promise<QuotaGrant> {
    if (signal?.aborted) return Promise.reject(abortReason(signal));
    if (this.#queue.size > 0) return this.#enqueue(tokens, signal, this.#blockedBy);
    const r = this.#store.take(this.key, tokens);
    if (isPromise(r)) return r.then((answer) => this.#first(answer, tokens, signal));
    return this.#first(r, tokens, signal);
  }

  #first(r: TakeResult, tokens: number, signal: AbortSignal | undefined): QuotaGrant | Promise<QuotaGrant> {
    if (r.taken) return this.#grant(tokens, UNWAITED, UNWAITED);
    if ("refused" in r) return Promise.reject(r.refused);
    this.#blockedBy = r.blockedBy;
    return this.#enqueue(tokens, signal, r.blockedBy, r.waitMs);
  }

  /**
   * Settles a grant on the tokens the server counted (`used`), or gives them all back (`used`
   * undefined: the request never counted at the server). Only the first settlement counts.
   */
  settle(grant: QuotaGrant, used: number | undefined): void {
    if (!(grant instanceof Grant) || grant.settled) return;
    grant.settled = true;
    if (used !== undefined) this.counters.tokens += used;
    void this.#store.settle(this.key, grant.tokens, used);
    this.#wake();
  }

  /** A 429: the server's window is full for every request of this quota, not only the one that met it. */
  pause(ms: number): void {
    this.counters.rate_limited++;
    if (!(ms > 0)) return;
    void this.#store.pause(this.key, ms);
    this.#wake();
  }

  /** The server's headers of a reply under this quota (call after `settle`, see `PacedBucket.observeRemaining`). */
  observe(info: RateLimitInfo): void {
    void this.#store.observe(this.key, info);
    this.#wake();
  }

  #grant(tokens: number, rpmMs: number, tpmMs: number): QuotaGrant {
    const c = this.counters;
    c.requests++;
    if (rpmMs > 0) {
      c.rpm_waits++;
      c.rpm_wait_ms += rpmMs;
    }
    if (tpmMs > 0) {
      c.tpm_waits++;
      c.tpm_wait_ms += tpmMs;
    }
    return new Grant(tokens, rpmMs, tpmMs);
  }

  #enqueue(tokens: number, signal: AbortSignal | undefined, blockedBy: "rpm" | "tpm", waitMs?: number): Promise<QuotaGrant> {
    return new Promise<QuotaGrant>((resolve, reject) => {
      const w: Waiter = { tokens, since: this.#clock.now(), blockedBy, rpmMs: 0, tpmMs: 0, resolve, reject, signal, onAbort: undefined };
      if (signal) {
        w.onAbort = () => this.#abort(w);
        signal.addEventListener("abort", w.onAbort, { once: true });
      }
      this.#queue.push(w);
      if (this.#queue.size > 1) return;
      // The new head: it was refused a moment ago, so its timer is armed without asking again.
      if (waitMs === undefined) this.#pump();
      else this.#timer.arm(waitMs);
    });
  }

  /** Something may fit sooner (tokens given back, a limit raised) or later (a pause): the head asks again. */
  #wake(): void {
    if (this.#queue.size > 0) this.#pump();
  }

  #pump(): void {
    if (this.#pumping) {
      this.#repump = true;
      return;
    }
    this.#timer.cancel();
    for (let w = this.#queue.head; w !== undefined; w = this.#queue.head) {
      const r = this.#store.take(this.key, w.tokens);
      if (isPromise(r)) {
        this.#pumping = true;
        void r.then(
          (answer) => this.#afterAsyncTake(w, answer),
          (err: unknown) => this.#afterAsyncTake(w, { taken: false, refused: err instanceof Error ? err : new Error(String(err)) }),
        );
        return;
      }
      if (!this.#answer(w, r)) return;
    }
  }

  #afterAsyncTake(w: Waiter, r: TakeResult): void {
    this.#pumping = false;
    const repump = this.#repump;
    this.#repump = false;
    if (!w.queued) {
      // Aborted meanwhile: what was taken for it goes back.
      if (r.taken) void this.#store.settle(this.key, w.tokens, undefined);
      this.#pump();
      return;
    }
    if (this.#answer(w, r) || repump) this.#pump();
  }

  /** Applies the store's answer for the head; true when the next head may be asked at once. */
  #answer(w: Waiter, r: TakeResult): boolean {
    const now = this.#clock.now();
    this.#charge(w, now);
    if (r.taken) {
      this.#leave(w);
      let rpmMs = Math.round(w.rpmMs);
      let tpmMs = Math.round(w.tpmMs);
      // At least 1 ms when it queued at all, so `waitedMs > 0` counts the waits.
      if (rpmMs + tpmMs === 0) {
        if (w.blockedBy === "rpm") rpmMs = 1;
        else tpmMs = 1;
      }
      w.resolve(this.#grant(w.tokens, rpmMs, tpmMs));
      return true;
    }
    if ("refused" in r) {
      this.#leave(w);
      w.reject(r.refused);
      return true;
    }
    w.blockedBy = this.#blockedBy = r.blockedBy;
    this.#timer.arm(r.waitMs);
    return false;
  }

  /** Charges the stretch of waiting since the last look to the bucket that held the request back. */
  #charge(w: Waiter, now: number): void {
    const ms = now - w.since;
    if (w.blockedBy === "rpm") w.rpmMs += ms;
    else w.tpmMs += ms;
    w.since = now;
  }

  #leave(w: Waiter): void {
    this.#queue.remove(w);
    if (w.signal && w.onAbort) w.signal.removeEventListener("abort", w.onAbort);
  }

  #abort(w: Waiter): void {
    const wasHead = this.#queue.head === w;
    if (!w.queued) return;
    this.#leave(w);
    w.reject(abortReason(w.signal as AbortSignal));
    if (wasHead && !this.#pumping) this.#pump();
  }
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}
