/**
 * Tokens-per-minute gate. A request is admitted on an estimate (prompt tokens + max output tokens,
 * see `token-estimate.ts`), the way OpenAI charges at admission, and reconciled with the usage the
 * provider reports. Whether OpenAI gives unused tokens back is not documented (the simulator does,
 * before computing the response's headers): the gate refunds, and `observe`, called after
 * `reconcile` with the same response's headers, takes the refund back whenever the server shows it
 * kept the tokens.
 */
import { BucketGate } from "./bucket-gate.js";
import { GateError } from "./gate-error.js";
import type { Admission, GateOptions } from "./gate-options.js";
import { PacedBucket } from "./paced-bucket.js";

export type { Admission, GateOptions } from "./gate-options.js";
export { GateError } from "./gate-error.js";

export interface TpmReservation {
  readonly tokens: number;
}

/** Module-private so only this file can mark a reservation settled. */
class Reservation implements TpmReservation {
  settled = false;
  constructor(
    readonly tokens: number,
    readonly owner: TpmGate,
  ) {}
}

export class TpmGate extends BucketGate {
  constructor(options: GateOptions = {}) {
    // Above the whole per-minute limit the server rejects the request outright ("Request too
    // large"), so waiting for it would never end.
    const bucket = new PacedBucket(options, "TPM", (tokens, limit) => (tokens > limit ? new GateError(tokens, limit, "tokens", "TPM") : undefined));
    super(bucket, (info) => [info.remainingTokens, info.limitTokens]);
  }

  /**
   * Reserves `tokens` and resolves when they fit, in strict arrival order (a big request at the
   * head holds back later small ones, so it is never starved). Rejects at once with `GateError`
   * when `tokens` exceeds the whole TPM limit, and with the signal's reason on abort.
   */
  async acquire(tokens: number, signal?: AbortSignal): Promise<Admission & { reservation: TpmReservation }> {
    if (!(Number.isFinite(tokens) && tokens >= 0)) {
      throw new RangeError(`tokens must be a non-negative number, got ${String(tokens)}`);
    }
    const admission = await this.bucket.acquire(tokens, signal);
    return { ...admission, reservation: new Reservation(tokens, this) };
  }

  /**
   * Settles a reservation with the tokens the provider actually counted: an over-reservation is
   * refunded into the bucket (capped at capacity, which may admit the next waiter early), a
   * shortfall is charged. Only the first `reconcile`/`release` of a reservation has an effect.
   */
  reconcile(reservation: TpmReservation, actualTokens: number): void {
    if (!(Number.isFinite(actualTokens) && actualTokens >= 0)) {
      throw new RangeError(`actualTokens must be a non-negative number, got ${String(actualTokens)}`);
    }
    const r = this.#claim(reservation);
    if (!r) return;
    const diff = r.tokens - actualTokens;
    if (diff > 0) this.bucket.credit(diff);
    else this.bucket.debit(-diff);
  }

  /** The request never reached the server (aborted before sending): full refund, once. */
  release(reservation: TpmReservation): void {
    const r = this.#claim(reservation);
    if (r) this.bucket.credit(r.tokens);
  }

  #claim(reservation: TpmReservation): Reservation | undefined {
    if (!(reservation instanceof Reservation) || reservation.owner !== this || reservation.settled) return undefined;
    reservation.settled = true;
    return reservation;
  }
}
