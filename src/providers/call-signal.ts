/**
 * One AbortSignal per provider call that fires on the caller's signal OR the call's timeout, and
 * remembers which one fired. Both providers need this: the engine must tell `timeout` (retriable)
 * from `cancelled` (not), and neither SDK error says reliably which it was (openai-node reports
 * any abort of the signal we pass as a user abort; ollama-js passes the raw fetch rejection).
 *
 * Why not `AbortSignal.any([signal, AbortSignal.timeout(ms)])`: it could not say which source
 * fired without extra bookkeeping anyway, and the caller's signal lives for the whole run while
 * `any()` registers each composite on it weakly, dropped only when GC collects it (Node has had
 * leak bugs exactly there). A listener removed in `dispose()` and a cleared timer leave nothing
 * behind (STYLE "Async": listeners `{once: true}`, removed in `finally`); a test checks that the
 * caller's signal has no listener left after calls. The timer also covers reading the body,
 * which openai-node's own `timeout` does not (it is cleared once the headers arrive).
 */
import type { ProviderCallOptions } from "../types.js";

export type AbortCause = "timeout" | "cancelled";

export interface CallSignal {
  /** Pass this to the HTTP client; aborts on the caller's signal or on timeout. */
  readonly signal: AbortSignal;
  /** Which of the two fired first, if any. */
  readonly cause: AbortCause | undefined;
  /** Clears the timer and detaches from the caller's signal. Call in `finally`. */
  dispose(): void;
}

// setTimeout treats delays above 2^31−1 ms as 1 ms; clamp so a huge timeout means "very long".
const MAX_TIMER_MS = 2 ** 31 - 1;

export function callSignal(options: ProviderCallOptions): CallSignal {
  const { signal: caller, timeoutMs } = options;
  const controller = new AbortController();
  let cause: AbortCause | undefined;
  const fire = (why: AbortCause, reason: unknown): void => {
    if (cause !== undefined) return;
    cause = why;
    controller.abort(reason);
  };
  const onCallerAbort = (): void => fire("cancelled", caller.reason);
  let timer: ReturnType<typeof setTimeout> | undefined;

  if (caller.aborted) {
    onCallerAbort();
  } else {
    caller.addEventListener("abort", onCallerAbort, { once: true });
    // A non-positive or non-finite timeout means "no timeout" rather than "time out at once".
    if (Number.isFinite(timeoutMs) && timeoutMs > 0) {
      const ms = Math.min(timeoutMs, MAX_TIMER_MS);
      timer = setTimeout(() => fire("timeout", new DOMException(`request timed out after ${ms} ms`, "TimeoutError")), ms);
    }
  }

  return {
    signal: controller.signal,
    get cause() {
      return cause;
    },
    dispose() {
      if (timer !== undefined) clearTimeout(timer);
      caller.removeEventListener("abort", onCallerAbort);
    },
  };
}
