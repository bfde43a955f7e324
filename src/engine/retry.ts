/**
 * Retry timing. The engine is the only place that retries (the SDKs run with retries off), so
 * every attempt and every millisecond of backoff is counted.
 */

/** @default base 500 ms, doubling, capped at 8 s, jitter −25 % (as openai-node does) */
export interface RetryTiming {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_RETRY_TIMING: RetryTiming = { baseMs: 500, maxMs: 8_000 };

/** Server hints above this are not trusted as a per-request sleep (the gates still pause). */
const MAX_HINT_MS = 60_000;

/**
 * How long to wait before retry number `retryIndex` (0 for the first retry). A server hint
 * (`retry-after-ms`/`retry-after`) wins when it is sane; otherwise exponential backoff with jitter.
 */
export function retryDelayMs(retryIndex: number, hintMs: number | undefined, timing: RetryTiming, random = Math.random): number {
  if (hintMs !== undefined && Number.isFinite(hintMs) && hintMs >= 0 && hintMs <= MAX_HINT_MS) {
    // A little jitter on top of the hint keeps many waiters from retrying in the same millisecond.
    return Math.ceil(hintMs + random() * Math.min(50, hintMs * 0.1));
  }
  const exp = Math.min(timing.baseMs * 2 ** retryIndex, timing.maxMs);
  return Math.round(exp * (1 - random() * 0.25));
}

/** Sleeps `ms`, or rejects with the signal's reason as soon as it aborts. Leaves no timer behind. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** What the retry policy reads of a failed attempt. */
export interface RetryableError {
  retriable: boolean;
  fatal: boolean;
  retryAfterMs?: number | undefined;
}

/**
 * The retry policy of the error's type: the delay before attempt number `attempts + 1`, or
 * undefined when this error is final (not retriable, fatal, out of retries, or cancelled).
 */
export function nextRetryDelay(error: RetryableError, attempts: number, maxRetries: number, cancelled: boolean, timing: RetryTiming): number | undefined {
  if (!error.retriable || error.fatal || attempts > maxRetries || cancelled) return undefined;
  return retryDelayMs(attempts - 1, error.retryAfterMs, timing);
}
