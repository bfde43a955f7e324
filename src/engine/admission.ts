/**
 * The admission stages of the call path, in their order: the budget hold first (a request waiting
 * for money must not sit on RPM/TPM capacity meanwhile), then the quota the call spends. A later
 * cache lookup sits before both: a hit reserves nothing and waits for nothing.
 */
import { BudgetExceededError } from "../cost/budget-gate.js";
import type { Quota } from "../gates/quota.js";
import { isPromise } from "../gates/quota-store.js";
import type { RequestTokenEstimate } from "../tokens/token-estimate.js";
import type { BackoffStats, ProviderName, ResultError } from "../types.js";
import { holdBudget, UnpricedUnderBudgetError, type BudgetContext, type HeldBudget } from "../cost/budget.js";
import type { AttemptObserver } from "./llm-call.js";
import type { Admitted } from "./settlement.js";
import type { CallReport } from "./stop-reason.js";

export interface AdmissionRequest {
  provider: ProviderName;
  model: string;
  estimate: RequestTokenEstimate;
  quota: Quota;
  /** Tokens the quota reserves: the larger of the tokenizer's estimate and the server's own rule. */
  reserve: number;
}

export interface AdmissionContext {
  stop: AbortSignal;
  budget?: BudgetContext | undefined;
  observer?: AttemptObserver | undefined;
  report?: ((report: CallReport) => void) | undefined;
}

/** Why admission ended without an attempt: the run stopped, the budget refused, or it can never fit. */
export type Refusal = { stopped: true } | { stopped: false; error: ResultError };

/** Holds the budget and admits to the quota; the refusal when the attempt cannot be made. */
export async function admit(req: AdmissionRequest, ctx: AdmissionContext, backoff: BackoffStats): Promise<Admitted | Refusal> {
  let held: HeldBudget | undefined;
  try {
    if (ctx.budget) {
      held = await holdBudget(ctx.budget, req.provider, req.model, req.estimate, ctx.stop);
      noteWait(backoff, "budget", held.waitedMs, ctx.observer);
    }
    const pending = req.quota.acquire(req.reserve, ctx.stop);
    // A synchronous store answers at once: no await on the path where nothing waits.
    const grant = isPromise(pending) ? await pending : pending;
    noteWait(backoff, "rpm", grant.rpmWaitMs, ctx.observer);
    noteWait(backoff, "tpm", grant.tpmWaitMs, ctx.observer);
    return { quota: req.quota, grant, held };
  } catch (err) {
    if (held && ctx.budget) ctx.budget.gate.settle(held.hold, 0);
    if (err instanceof BudgetExceededError) {
      ctx.report?.({ kind: "budget_exhausted", error: err });
      return { stopped: false, error: { type: "budget_exceeded", message: err.message, retriable: false } };
    }
    if (ctx.stop.aborted) return { stopped: true };
    if (err instanceof UnpricedUnderBudgetError) return { stopped: false, error: { type: "invalid_input", message: err.message, retriable: false } };
    // The quota refuses outright (a request larger than the whole TPM limit): it can never succeed.
    const message = err instanceof Error ? err.message : String(err);
    return { stopped: false, error: { type: "bad_request", message, retriable: false } };
  }
}

/** Counts a wait into the record's backoff and tells the live metrics. */
function noteWait(backoff: BackoffStats, kind: "rpm" | "tpm" | "budget", waitedMs: number, observer: AttemptObserver | undefined): void {
  if (waitedMs <= 0) return;
  backoff[`${kind}_waits`] = (backoff[`${kind}_waits`] ?? 0) + 1;
  backoff[`${kind}_wait_ms`] = (backoff[`${kind}_wait_ms`] ?? 0) + Math.round(waitedMs);
  observer?.waited?.(kind, waitedMs);
}
