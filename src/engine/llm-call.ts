import type { CallCache } from "../cache/response-cache.js";
import { ProviderError } from "../errors.js";
import type { QuotaLimits } from "../gates/quota-store.js";
import type { Quotas } from "../gates/quotas.js";
import { estimateEmbedTokens, estimateRequestTokens, type RequestTokenEstimate } from "../tokens/token-estimate.js";
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
  type SentCall,
  type Usage,
} from "../types.js";
import { admit, type AdmissionRequest } from "./admission.js";
import { billUnknown, worstCaseUsd, type BudgetContext } from "../cost/budget.js";
import type { WaitKind } from "../metrics/metrics-recorder.js";
import type { ModelPrice } from "../cost/prices.js";
import type { PriceLookup } from "../cost/pricing.js";
import { nextRetryDelay, sleep, type RetryTiming } from "./retry.js";
import { settleAnswer, settleFailure } from "./settlement.js";
import type { CallReport } from "./stop-reason.js";
import type { Quota } from "../gates/quota.js";
import type { BatchLine } from "../batch/batch-api.js";

export { settleFailedReservation } from "./settlement.js";

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

/** Everything one LLM call needs besides the request: shared quotas, policy and run signals. */
export interface CallContext {
  /** The run's quotas: each call spends the one its provider, endpoint, key and model name. */
  quotas: Quotas;
  /** A step's own `limits:`, applied over the run's to the quotas its calls spend. */
  limits?: QuotaLimits | undefined;
  maxRetries: number;
  timeoutMs: number;
  retryTiming: RetryTiming;
  /** Aborted when the run stops admitting work (fatal error, interrupt): nothing new is sent. */
  stop: AbortSignal;
  /** Aborted to cancel requests already in flight (second interrupt). */
  cancel: AbortSignal;
  /**
   * Hears what the run must decide on: a fatal provider error (auth, quota, unknown model), the
   * budget refusing a request. The call only reports; whether the run stops is the run's decision.
   */
  report?(report: CallReport): void;
  observer?: AttemptObserver;
  /** `--max-cost`: each attempt holds its worst-case cost until it is answered. */
  budget?: BudgetContext;
  /** Prices the worst case of an attempt whose bill is unknown (for `attemptBillUnknown`). */
  priceOf?: PriceLookup;
  /** `--cache`: looked up before everything else; a hit reserves nothing, waits for nothing, sends nothing. */
  cache?: CallCache;
  /**
   * `--batch`: the backend stage is a line in a provider batch instead of one HTTP request, and
   * the quota stage spends the Batch API's own pool (see src/batch/collector.ts).
   */
  batch?: BatchCalls;
}

/** What the call path needs of the batch backend. */
export interface BatchCalls {
  quota(provider: ProviderName, model: string): Quota;
  send<R>(line: BatchLine<R>, op: { provider: ProviderName; model: string; promptTokens: number }, options: ProviderCallOptions): Promise<R>;
  /** Whether a failed line's retry goes through the synchronous path (`--batch-fallback sync` and a failure of the batch itself). */
  fallsBack(error: ProviderError): boolean;
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
export interface ProviderOperation<R extends ProviderReply> extends AdmissionRequest {
  attempt(options: ProviderCallOptions): Promise<R>;
  /** What the call sends, for the response cache's key; absent: never cached. */
  sent?: { provider: Provider; call: SentCall };
  /** The call as a provider batch line, when the provider runs batches. */
  batchLine?: (() => BatchLine<R>) | undefined;
}

export type CallOutcome<R extends ProviderReply = LlmResponse> =
  | { ok: true; response: R; attempts: number; backoff: BackoffStats /** answered from the response cache */; cached?: true }
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
 * One logical LLM call: budget hold, quota admission, one provider attempt, settlement, then the
 * retry policy of the error's type, until success, a final error, or the run stopping. Never throws.
 */
export function callLlm(provider: Provider, request: LlmRequest, ctx: CallContext): Promise<CallOutcome> {
  const estimate = estimateRequestTokens(request);
  // The server's limiter may charge more at admission than the tokenizer counts: reserve the larger.
  const reserve = Math.max(estimate.total, provider.admissionTokens?.(request) ?? 0);
  const quota = ctx.quotas.for(provider, request.model, ctx.limits);
  const batchLine = provider.batchLine && (() => provider.batchLine!(request));
  return callProvider(
    {
      provider: provider.name,
      model: request.model,
      estimate,
      quota,
      reserve,
      attempt: (options) => provider.generate(request, options),
      sent: { provider, call: { kind: "chat", request } },
      batchLine,
    },
    ctx,
  );
}

/**
 * One embeddings call, through the same stages as `callLlm`; it reserves its input tokens only
 * (an embedding writes no output tokens). Never throws.
 */
export function callEmbed(provider: Provider, request: EmbedRequest, ctx: CallContext): Promise<CallOutcome<EmbedResponse>> {
  const embed = provider.embed?.bind(provider);
  if (embed === undefined) {
    const error: ResultError = { type: "bad_request", message: `the ${provider.name} provider cannot run embeddings requests`, retriable: false };
    return Promise.resolve({ ok: false, error, attempts: 0, backoff: emptyBackoff(), notSent: true });
  }
  const estimate = estimateEmbedTokens(request);
  const quota = ctx.quotas.for(provider, request.model, ctx.limits);
  const batchLine = provider.embedBatchLine && (() => provider.embedBatchLine!(request));
  return callProvider(
    {
      provider: provider.name,
      model: request.model,
      estimate,
      quota,
      reserve: estimate.total,
      attempt: (options) => embed(request, options),
      sent: { provider, call: { kind: "embed", request } },
      batchLine,
    },
    ctx,
  );
}

/** The call path itself, whatever the operation: see `callLlm`. */
export async function callProvider<R extends ProviderReply>(op: ProviderOperation<R>, ctx: CallContext): Promise<CallOutcome<R>> {
  const backoff = emptyBackoff();
  if (ctx.budget) Object.assign(backoff, { budget_waits: 0, budget_wait_ms: 0 });
  // Usage billed for attempts that still failed (content filter stops), so cost adds up.
  let billed: Usage | undefined;
  let attempts = 0;
  let lastError: ProviderError | undefined;
  // A hit is answered here: nothing reserved, nothing sent (and never a line in a batch).
  const cached = op.sent && ctx.cache?.lookup(op.sent.provider, op.sent.call);
  if (cached?.reply !== undefined) return { ok: true, response: cached.reply as R, attempts: 0, backoff, cached: true };
  const batch = op.batchLine && ctx.batch;
  let viaBatch = batch !== undefined;

  for (;;) {
    // Before each attempt: the run may have stopped admitting (fatal error elsewhere, interrupt).
    const admitted = await admit(viaBatch ? { ...op, quota: batch!.quota(op.provider, op.model) } : op, ctx, backoff);
    if (!("grant" in admitted)) {
      if (admitted.stopped) return withUsage(stopped(lastError, attempts, backoff), billed);
      return withUsage({ ok: false, error: admitted.error, attempts, backoff, notSent: attempts === 0 }, billed);
    }

    attempts++;
    ctx.observer?.attemptStarted();
    let error: ProviderError;
    try {
      const options = { signal: ctx.cancel, timeoutMs: ctx.timeoutMs };
      const response = await (viaBatch ? batch!.send(op.batchLine!(), { provider: op.provider, model: op.model, promptTokens: op.estimate.prompt }, options) : op.attempt(options));
      ctx.observer?.attemptFinished(response, undefined);
      settleAnswer(admitted, ctx.budget, response);
      const storing = cached && ctx.cache?.store(cached, response);
      if (storing) await storing;
      if (billed) response.usage = sumUsage(response.usage, billed);
      return { ok: true, response, attempts, backoff };
    } catch (err) {
      error = asProviderError(err);
    }
    ctx.observer?.attemptFinished(undefined, error);
    if (billUnknown(error)) ctx.observer?.attemptBillUnknown?.(admitted.held ? admitted.held.hold.usd : worstCaseOf(ctx.priceOf?.(op.provider, op.model), op.estimate));
    settleFailure(admitted, ctx.budget, error, op.estimate.prompt);
    if (error.usage) billed = sumUsage(billed ?? emptyUsage(), error.usage);
    lastError = error;
    if (error.fatal) ctx.report?.({ kind: "fatal", error });
    if (viaBatch && batch!.fallsBack(error)) viaBatch = false;

    const delay = nextRetryDelay(error, attempts, ctx.maxRetries, ctx.cancel.aborted, ctx.retryTiming);
    if (delay === undefined) return withUsage({ ok: false, error: error.toResultError(), attempts, backoff, notSent: false }, billed);
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

function worstCaseOf(price: ModelPrice | undefined, estimate: RequestTokenEstimate): number | null {
  return price === undefined ? null : worstCaseUsd(price, estimate);
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

function asProviderError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new ProviderError({ type: "unknown", message: `provider failed unexpectedly: ${message}`, cause: err });
}

/**
 * A step's call context: its own `retries` and `limits:` over the run's. The run's own context
 * (no copy) when the step sets neither.
 */
export function stepCallContext(step: { retries?: number | undefined; limits?: QuotaLimits | undefined }, call: CallContext): CallContext {
  if (step.retries === undefined && step.limits === undefined) return call;
  const own = { ...call };
  if (step.retries !== undefined) own.maxRetries = step.retries;
  if (step.limits !== undefined) own.limits = step.limits;
  return own;
}
