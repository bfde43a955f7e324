/**
 * What the server's bucket can still hold for the requests it may not have received yet.
 *
 * A request reaches the server some time after a gate admits it. While the server answers, that
 * delay is small and the transit margin absorbs it. When the server stops taking requests in for a
 * while (its process starved of CPU, a stalled network path), the requests admitted meanwhile wait
 * in front of it, and its bucket, which has seen none of them, fills up to its capacity and wastes
 * the rest of the refill: the gate counted refill the server never grants. When the server
 * resumes they arrive together, and whatever exceeds one full bucket meets a 429 (measured: a
 * 1.2 s stop of the simulator's process, then 7 × 429 within 8 ms).
 *
 * So each answer's headers (the server's level then) start a shadow of the server's bucket: it
 * refills at the limit up to the capacity, as the server's does, and the requests admitted since
 * that answer count against it as if none had arrived. A request is admitted only when the shadow
 * also holds it, and the gate's level never stays above what the shadow holds (see `room`). While answers keep coming the shadow stays above the gate's own level (the
 * server's bucket runs the transit margin and more above ours), so it costs nothing of the
 * sustained rate; it binds only after a silence long enough for the server's bucket to fill up.
 *
 * After `SILENCE_MS` with no answer the shadow is dropped: a server that slow is taken to be
 * working on long requests (which it has received), not to have stopped, and the gate's own level
 * rules again. A stop longer than that still ends with a few 429s, which pause the quota as usual.
 */

/** How long without an answer the requests since the last one are still taken as possibly not arrived. */
export const SILENCE_MS = 2_000;

export class ServerShadow {
  /** The server's level at the last answer, in the gate's terms; undefined before the first. */
  #level: number | undefined;
  #at = 0;
  /** Admitted since that answer. */
  #unconfirmed = 0;

  /** An answer's headers: the server's level now (undefined when it reported none). */
  observe(level: number | undefined, now: number): void {
    if (level === undefined || !Number.isFinite(level)) return;
    this.#level = level;
    this.#at = now;
    this.#unconfirmed = 0;
  }

  /**
   * Milliseconds until the shadow holds `cost` (0 = now), admitted by the rule the server applies
   * (`min(cost, capacity)` must be there); past `SILENCE_MS` the time until the shadow is dropped.
   */
  msUntilAdmissible(cost: number, capacity: number, ratePerMs: number, now: number): number {
    if (!this.#active(now) || !(ratePerMs > 0) || !Number.isFinite(capacity)) return 0;
    const level = this.#level as number;
    const need = Math.min(cost, capacity) + this.#unconfirmed;
    const held = Math.min(capacity, level + (now - this.#at) * ratePerMs);
    if (held >= need) return 0;
    const expiry = this.#at + SILENCE_MS - now;
    // A full server bucket cannot hold what is waiting in front of it: only an answer (which wakes
    // the queue) or the end of the silence window helps.
    if (capacity < need) return Math.max(1, Math.ceil(expiry));
    return Math.max(1, Math.min(Math.ceil(expiry), Math.ceil((need - held) / ratePerMs - 1e-6)));
  }

  /**
   * What the server's bucket holds for new requests now, once the ones admitted since its last
   * answer arrive (undefined when the shadow is not in force). The gate's own level is lowered to
   * it: the refill the server wasted while it could not see them is gone for good, and a gate
   * that kept it would spend it in one burst as soon as an answer (whose headers were computed
   * before those requests were charged) lifted the shadow.
   */
  room(capacity: number, ratePerMs: number, now: number): number | undefined {
    if (!this.#active(now) || !(ratePerMs > 0) || !Number.isFinite(capacity)) return undefined;
    return Math.min(capacity, (this.#level as number) + (now - this.#at) * ratePerMs) - this.#unconfirmed;
  }

  /** Counts an admitted request against the shadow. */
  charge(cost: number): void {
    if (this.#level !== undefined) this.#unconfirmed += cost;
  }

  /** A request that never counted at the server (refused, never sent): it no longer waits in front of it. */
  release(cost: number): void {
    this.#unconfirmed = Math.max(0, this.#unconfirmed - cost);
  }

  #active(now: number): boolean {
    if (this.#level === undefined) return false;
    if (now - this.#at < SILENCE_MS) return true;
    this.#level = undefined;
    this.#unconfirmed = 0;
    return false;
  }
}
