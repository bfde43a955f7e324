/**
 * Live counters for the progress bar: requests in flight, records done, errors, and the request
 * and token rates over the last 60 seconds. The rates come from a ring of 60 per-second buckets:
 * each event touches one bucket (O(1)), a bucket is recycled lazily when its second comes round
 * again, and no timer ever runs.
 */
import { systemClock, type Clock } from "../gates/clock.js";

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
  #started = 0;
  #finished = 0;
  #done = 0;
  #errors = 0;
  #tokens = 0;

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
  requestFinished(tokens = 0): void {
    this.#finished++;
    if (tokens > 0) {
      this.#tokens += tokens;
      this.#tokenRing.add(this.#second(), tokens);
    }
  }

  /** A record reached its final result. */
  recordDone(ok: boolean): void {
    this.#done++;
    if (!ok) this.#errors++;
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

  snapshot(): MetricsSnapshot {
    const elapsed = (this.#clock.now() - this.#start) / 1000;
    const now = Math.floor(elapsed);
    // The ring holds 59 whole seconds plus the current, partial one; in the first minute the
    // window is only as long as the run, else early rates would read low. At least 1 s, so the
    // first few requests do not read as a huge rate.
    const span = Math.min(elapsed, WINDOW_SECONDS - 1 + (elapsed - now));
    const perMinute = 60 / Math.max(1, span);
    return {
      inFlight: this.#started - this.#finished,
      done: this.#done,
      rpm: Math.round(this.#requests.sum(now) * perMinute),
      tpm: Math.round(this.#tokenRing.sum(now) * perMinute),
      errors: this.#errors,
    };
  }

  /** Whole seconds since this recorder started (the ring's time axis). */
  #second(): number {
    return Math.floor((this.#clock.now() - this.#start) / 1000);
  }
}
