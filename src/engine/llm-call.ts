import { ProviderError } from "../errors.js";
import { BudgetExceededError } from "../gates/budget-gate.js";
import type { RpmGate } from "../gates/rpm-gate.js";
import type { TpmGate, TpmReservation } from "../gates/tpm-gate.js";
import { estimateEmbedTokens, estimateRequestTokens, type RequestTokenEstimate } from "../gates/token-estimate.js";
import {
  addUsage,
  emptyBackoff,
  emptyUsage,
  type BackoffStats,
  type EmbedRequest,
  type EmbedResponse,
  type LlmRequest,
  type LlmResponse,
  type Provider,
  type ProviderCallOptions,
  type ProviderName,
  type RateLimitInfo,
  type ResultError,
  type Usage,
} from "../types.js";
import { billUnknown, holdBudget, neverSent, settleBudget, UnpricedUnderBudgetError, worstCaseUsd, type BudgetContext, type HeldBudget } from "./budget.js";
import type { WaitKind } from "../metrics/metrics-recorder.js";
import type { ModelPrice } from "../providers/prices.js";
import type { PriceLookup } from "./pricing.js";
import { retryDelayMs, sleep, type RetryTiming } from "./retry.js";

/** Observers the engine reports each HTTP attempt to (live metrics, progress). */
export interface AttemptObserver {
  attemptStarted(): void;
  attemptFinished(response: ProviderReply | undefined, error: ProviderError | undefined): void;
  /** A wait ended: at a gate (client side) or backing off before a retry (server side). */
  waited?(kind: WaitKind, ms: number): void;
  /**
   * An attempt failed with its bill unknown (cancelled, timed out, connection lost after sending:
   * see `billUnknown`): its worst-case cost, or null when its model has no price.
   */
  attemptBillUnknown?(worstCaseUsd: number | null): void;
}

/** Everything one LLM call needs besides the request: shared gates, policy and run signals. */
export interface CallContext {
  rpmGate: RpmGate;
  tpmGate: TpmGate;
  maxRetries: number;
  timeoutMs: number;
  retryTiming: RetryTiming;
  /** Aborted when the run stops admitting work (fatal error, interrupt): nothing new is sent. */
  stop: AbortSignal;
  /** Aborted to cancel requests already in flight (second interrupt). */
  cancel: AbortSignal;
  /** Called once per fatal provider error (auth, quota, unknown model). */
  onFatal(error: ProviderError): void;
  observer?: AttemptObserver;
  /** `--max-cost`: each attempt holds its worst-case cost until it is answered. */
  budget?: BudgetContext;
  /** Prices the worst case of an attempt whose bill is unknown (for `attemptBillUnknown`). */
  priceOf?: PriceLookup;
  /** Called when the budget refuses a request: the run stops admitting. */
  onBudgetExhausted?(error: BudgetExceededError): void;
}

/** What the call path reads of any provider reply (a completion, embeddings): what it billed, what the limits are. */
export interface ProviderReply {
  usage: Usage;
  rateLimits?: RateLimitInfo;
}

/**
 * One kind of provider call as the call path sees it: the model it is billed and limited under,
 * the tokens it reserves, and one HTTP attempt of it.
 */
export interface ProviderOperation<R extends ProviderReply> {
  provider: ProviderName;
  model: string;
  estimate: RequestTokenEstimate;
  attempt(options: ProviderCallOptions): Promise<R>;
}

export type CallOutcome<R extends ProviderReply = LlmResponse> =
  | { ok: true; response: R; attempts: number; backoff: BackoffStats }
  | {
      ok: false;
      error: ResultError;
      attempts: number;
      backoff: BackoffStats;
      /** nothing reached the server */
      notSent: boolean;
      /** What the provider billed for failed attempts (a content filter stop); absent when nothing. */
      usage?: Usage;
    };

/**
 * One logical LLM call: gates, then one provider attempt, then the retry policy of the error's
 * type, until success, a final error, or the run stopping. Never throws.
 */
export function callLlm(provider: Provider, request: LlmRequest, ctx: CallContext): Promise<CallOutcome> {
  const operation = { provider: provider.name, model: request.model, estimate: estimateRequestTokens(request) };
  return callProvider({ ...operation, attempt: (options) => provider.generate(request, options) }, ctx);
}

/**
 * One embeddings call, through the same gates, budget, retries and settlement as `callLlm`; it
 * reserves its input tokens only (an embedding writes no output tokens). Never throws.
 */
export function callEmbed(provider: Provider, request: EmbedRequest, ctx: CallContext): Promise<CallOutcome<EmbedResponse>> {
  const embed = provider.embed?.bind(provider);
  if (embed === undefined) {
    const error: ResultError = { type: "bad_request", message: `the ${provider.name} provider cannot run embeddings requests`, retriable: false };
    return Promise.resolve({ ok: false, error, attempts: 0, backoff: emptyBackoff(), notSent: true });
  }
  const operation = { provider: provider.name, model: request.model, estimate: estimateEmbedTokens(request) };
  return callProvider({ ...operation, attempt: (options) => embed(request, options) }, ctx);
}

/** The call path itself, whatever the operation: see `callLlm`. */
export async function callProvider<R extends ProviderReply>(op: ProviderOperation<R>, ctx: CallContext): Promise<CallOutcome<R>> {
  const backoff = emptyBackoff();
  if (ctx.budget) Object.assign(backoff, { budget_waits: 0, budget_wait_ms: 0 });
  // Usage billed for attempts that still failed (content filter stops), so cost adds up.
  let billed: Usage | undefined;
  const { estimate } = op;
  let attempts = 0;
  let lastError: ProviderError | undefined;

  for (;;) {
    // Before each attempt: the run may have stopped admitting (fatal error elsewhere, interrupt).
    let reservation: TpmReservation | undefined;
    let held: HeldBudget | undefined;
    try {
      // The budget first: a request waiting for money must not sit on RPM/TPM capacity meanwhile.
      if (ctx.budget) {
        held = await holdBudget(ctx.budget, op.provider, op.model, estimate, ctx.stop);
        noteWait(backoff, "budget", held.waitedMs, ctx.observer);
      }
      const rpm = await ctx.rpmGate.acquire(ctx.stop);
      noteWait(backoff, "rpm", rpm.waitedMs, ctx.observer);
      const tpm = await ctx.tpmGate.acquire(estimate.total, ctx.stop);
      reservation = tpm.reservation;
      noteWait(backoff, "tpm", tpm.waitedMs, ctx.observer);
    } catch (err) {
      if (held && ctx.budget) ctx.budget.gate.settle(held.hold, 0);
      if (err instanceof BudgetExceededError) {
        ctx.onBudgetExhausted?.(err);
        return withUsage({ ok: false, error: { type: "budget_exceeded", message: err.message, retriable: false }, attempts, backoff, notSent: attempts === 0 }, billed);
      }
      if (ctx.stop.aborted) return withUsage(stopped(lastError, attempts, backoff), billed);
      if (err instanceof UnpricedUnderBudgetError) {
        return { ok: false, error: { type: "invalid_input", message: err.message, retriable: false }, attempts, backoff, notSent: attempts === 0 };
      }
      // The gate refuses outright (a request larger than the whole TPM limit): it can never succeed.
      return withUsage({ ok: false, error: gateError(err), attempts, backoff, notSent: attempts === 0 }, billed);
    }

    attempts++;
    ctx.observer?.attemptStarted();
    try {
      const response = await op.attempt({ signal: ctx.cancel, timeoutMs: ctx.timeoutMs });
      ctx.observer?.attemptFinished(response, undefined);
      if (held && ctx.budget) settleBudget(ctx.budget, held, { usage: response.usage });
      ctx.tpmGate.reconcile(reservation, response.usage.input_tokens + response.usage.output_tokens);
      if (response.rateLimits) {
        ctx.rpmGate.observe(response.rateLimits);
        ctx.tpmGate.observe(response.rateLimits);
      }
      if (billed) response.usage = sumUsage(response.usage, billed);
      return { ok: true, response, attempts, backoff };
    } catch (err) {
      const error = asProviderError(err);
      ctx.observer?.attemptFinished(undefined, error);
      if (billUnknown(error)) ctx.observer?.attemptBillUnknown?.(held ? held.hold.usd : worstCaseOf(ctx.priceOf?.(op.provider, op.model), estimate));
      if (held && ctx.budget) settleBudget(ctx.budget, held, { error });
      if (error.usage) billed = sumUsage(billed ?? emptyUsage(), error.usage);
      settleFailedReservation(ctx.tpmGate, reservation, error, estimate.prompt);
      if (error.rateLimits) {
        ctx.rpmGate.observe(error.rateLimits);
        ctx.tpmGate.observe(error.rateLimits);
      }
      lastError = error;
      if (error.type === "rate_limit" && error.retriable) {
        // A 429 means the server's window is full for everyone, not only for this request.
        const pause = error.retryAfterMs ?? 1_000;
        ctx.rpmGate.pauseFor(pause);
        ctx.tpmGate.pauseFor(pause);
      }
      if (error.fatal) ctx.onFatal(error);
      if (!error.retriable || error.fatal || attempts > ctx.maxRetries || ctx.cancel.aborted) {
        return withUsage({ ok: false, error: error.toResultError(), attempts, backoff, notSent: false }, billed);
      }
      const delay = retryDelayMs(attempts - 1, error.retryAfterMs, ctx.retryTiming);
      const started = performance.now();
      try {
        await sleep(delay, ctx.stop);
      } catch {
        return withUsage(stopped(lastError, attempts, backoff), billed);
      } finally {
        const waited = performance.now() - started;
        backoff.retries++;
        backoff.retry_wait_ms += Math.round(waited);
        ctx.observer?.waited?.("retry", waited);
      }
    }
  }
}

function worstCaseOf(price: ModelPrice | undefined, estimate: RequestTokenEstimate): number | null {
  return price === undefined ? null : worstCaseUsd(price, estimate);
}

/** Counts a gate wait into the record's backoff and tells the live metrics. */
function noteWait(backoff: BackoffStats, kind: "rpm" | "tpm" | "budget", waitedMs: number, observer: AttemptObserver | undefined): void {
  if (waitedMs <= 0) return;
  backoff[`${kind}_waits`] = (backoff[`${kind}_waits`] ?? 0) + 1;
  backoff[`${kind}_wait_ms`] = (backoff[`${kind}_wait_ms`] ?? 0) + Math.round(waitedMs);
  observer?.waited?.(kind, waitedMs);
}

/** A new Usage holding a + b (the response's own usage object is left as the provider gave it). */
function sumUsage(a: Usage, b: Usage): Usage {
  const total = emptyUsage();
  addUsage(total, a);
  addUsage(total, b);
  return total;
}

function withUsage<R extends ProviderReply>(outcome: CallOutcome<R>, billed: Usage | undefined): CallOutcome<R> {
  if (billed && !outcome.ok) outcome.usage = billed;
  return outcome;
}

function stopped(lastError: ProviderError | undefined, attempts: number, backoff: BackoffStats): CallOutcome<never> {
  if (lastError) return { ok: false, error: lastError.toResultError(), attempts, backoff, notSent: false };
  return {
    ok: false,
    error: { type: "not_attempted", message: "the run stopped before this request was sent", retriable: false },
    attempts,
    backoff,
    notSent: true,
  };
}

/**
 * What the server charged for a failed attempt is unknown. A 429 is not charged at all, nor is a
 * request that never got through (or one we cancelled, as the run is stopping anyway); any other
 * failure is settled at its prompt tokens, what an admitted request consumed.
 */
export function settleFailedReservation(gate: TpmGate, reservation: TpmReservation, error: ProviderError, promptTokens: number): void {
  if (error.status === 429 || error.type === "cancelled" || neverSent(error)) gate.release(reservation);
  else gate.reconcile(reservation, promptTokens);
}

function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ type: "unknown", message: `provider failed unexpectedly: ${message}`, cause: err });
}

function gateError(err: unknown): ResultError {
  const message = err instanceof Error ? err.message : String(err);
  return { type: "bad_request", message, retriable: false };
}
