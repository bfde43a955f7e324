/**
 * The settlement stage of the call path: after an attempt, what it cost and what the server said
 * are booked, whichever backend made it. The budget hold is settled on the usage (or the error),
 * the quota's reservation is refunded to what the server counted, the server's limits are read,
 * and a 429 pauses the whole quota.
 */
import type { ProviderError } from "../errors.js";
import type { Quota, QuotaGrant } from "../gates/quota.js";
import type { TpmGate, TpmReservation } from "../gates/tpm-gate.js";
import type { RateLimitInfo, Usage } from "../types.js";
import { neverSent, settleBudget, type BudgetContext, type HeldBudget } from "../cost/budget.js";

/** What one admitted attempt holds until it is settled. */
export interface Admitted {
  quota: Quota;
  grant: QuotaGrant;
  held: HeldBudget | undefined;
}

/** Books an answered attempt: its usage against the budget and the quota, then the server's headers. */
export function settleAnswer(admitted: Admitted, budget: BudgetContext | undefined, reply: { usage: Usage; rateLimits?: RateLimitInfo | undefined }): void {
  if (admitted.held && budget) settleBudget(budget, admitted.held, { usage: reply.usage });
  // Reconcile first, observe second: a server that keeps unused tokens then takes the refund back.
  admitted.quota.settle(admitted.grant, reply.usage.input_tokens + reply.usage.output_tokens);
  if (reply.rateLimits) admitted.quota.observe(reply.rateLimits);
}

/** Books a failed attempt: the budget, the quota's tokens as the server counted them, its headers, and a 429's pause. */
export function settleFailure(admitted: Admitted, budget: BudgetContext | undefined, error: ProviderError, promptTokens: number): void {
  if (admitted.held && budget) settleBudget(budget, admitted.held, { error });
  admitted.quota.settle(admitted.grant, failedAttemptTokens(error, promptTokens));
  if (error.rateLimits) admitted.quota.observe(error.rateLimits);
  if (error.type === "rate_limit" && error.retriable) {
    // A 429 means the server's window is full for every request of this quota, not only this one.
    admitted.quota.pause(error.retryAfterMs ?? 1_000);
  }
}

/**
 * What the server charged for a failed attempt is unknown. A 429 is not charged at all, nor is a
 * request that never got through (or one we cancelled, as the run is stopping anyway): undefined,
 * all given back. Any other failure is settled at its prompt tokens, what an admitted request consumed.
 */
export function failedAttemptTokens(error: ProviderError, promptTokens: number): number | undefined {
  return error.status === 429 || error.type === "cancelled" || neverSent(error) ? undefined : promptTokens;
}

/** `failedAttemptTokens` applied to a bare `TpmGate` reservation (for callers of the gates alone). */
export function settleFailedReservation(gate: TpmGate, reservation: TpmReservation, error: ProviderError, promptTokens: number): void {
  const used = failedAttemptTokens(error, promptTokens);
  if (used === undefined) gate.release(reservation);
  else gate.reconcile(reservation, used);
}
