import { ProviderError } from "../errors.js";
import type { RpmGate } from "../gates/rpm-gate.js";
import type { TpmGate, TpmReservation } from "../gates/tpm-gate.js";
import { estimateRequestTokens } from "../gates/token-estimate.js";
import { emptyBackoff, type BackoffStats, type LlmRequest, type LlmResponse, type Provider, type ResultError } from "../types.js";
import { retryDelayMs, sleep, type RetryTiming } from "./retry.js";

/** Observers the engine reports each HTTP attempt to (live metrics, progress). */
export interface AttemptObserver {
  attemptStarted(): void;
  attemptFinished(response: LlmResponse | undefined, error: ProviderError | undefined): void;
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
}

export type CallOutcome =
  | { ok: true; response: LlmResponse; attempts: number; backoff: BackoffStats }
  | { ok: false; error: ResultError; attempts: number; backoff: BackoffStats; /** nothing reached the server */ notSent: boolean };

/**
 * One logical LLM call: gates, then one provider attempt, then the retry policy of the error's
 * type, until success, a final error, or the run stopping. Never throws.
 */
export async function callLlm(provider: Provider, request: LlmRequest, ctx: CallContext): Promise<CallOutcome> {
  const backoff = emptyBackoff();
  const estimate = estimateRequestTokens(request);
  let attempts = 0;
  let lastError: ProviderError | undefined;

  for (;;) {
    // Before each attempt: the run may have stopped admitting (fatal error elsewhere, interrupt).
    let reservation: TpmReservation | undefined;
    try {
      const rpm = await ctx.rpmGate.acquire(ctx.stop);
      if (rpm.waitedMs > 0) {
        backoff.rpm_waits++;
        backoff.rpm_wait_ms += Math.round(rpm.waitedMs);
      }
      const tpm = await ctx.tpmGate.acquire(estimate.total, ctx.stop);
      reservation = tpm.reservation;
      if (tpm.waitedMs > 0) {
        backoff.tpm_waits++;
        backoff.tpm_wait_ms += Math.round(tpm.waitedMs);
      }
    } catch (err) {
      if (ctx.stop.aborted) return stopped(lastError, attempts, backoff);
      // The gate refuses outright (a request larger than the whole TPM limit): it can never succeed.
      return { ok: false, error: gateError(err), attempts, backoff, notSent: attempts === 0 };
    }

    attempts++;
    ctx.observer?.attemptStarted();
    try {
      const response = await provider.generate(request, { signal: ctx.cancel, timeoutMs: ctx.timeoutMs });
      ctx.observer?.attemptFinished(response, undefined);
      ctx.tpmGate.reconcile(reservation, response.usage.input_tokens + response.usage.output_tokens);
      if (response.rateLimits) {
        ctx.rpmGate.observe(response.rateLimits);
        ctx.tpmGate.observe(response.rateLimits);
      }
      return { ok: true, response, attempts, backoff };
    } catch (err) {
      const error = asProviderError(err);
      ctx.observer?.attemptFinished(undefined, error);
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
        return { ok: false, error: error.toResultError(), attempts, backoff, notSent: false };
      }
      const delay = retryDelayMs(attempts - 1, error.retryAfterMs, ctx.retryTiming);
      const started = performance.now();
      try {
        await sleep(delay, ctx.stop);
      } catch {
        return stopped(lastError, attempts, backoff);
      } finally {
        backoff.retries++;
        backoff.retry_wait_ms += Math.round(performance.now() - started);
      }
    }
  }
}

function stopped(lastError: ProviderError | undefined, attempts: number, backoff: BackoffStats): CallOutcome {
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
 * What the server charged for a failed attempt is unknown; a 429 is not charged at all, while an
 * admitted request that failed later probably consumed its prompt.
 */
function settleFailedReservation(gate: TpmGate, reservation: TpmReservation, error: ProviderError, promptTokens: number): void {
  if (error.status === 429 || error.type === "network" || error.type === "cancelled") gate.release(reservation);
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
