import type { Logger } from "./logger.js";

/** How long in-flight requests may run after the first Ctrl-C before they are cancelled. */
export const GRACE_MS = 30_000;

/**
 * First SIGINT/SIGTERM: stop admitting, let in-flight requests finish (up to the grace period).
 * Second signal, or the grace period over: cancel them through their AbortSignal.
 */
export interface InterruptSignals {
  /** Aborted on the first signal: stop admitting. */
  stop: AbortSignal;
  /** Aborted on the second signal or when the grace period is over: cancel in-flight requests. */
  cancel: AbortSignal;
  dispose(): void;
}

export function interruptSignals(log: Logger, graceMs = GRACE_MS): InterruptSignals {
  const stop = new AbortController();
  const cancel = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      log.warn(`${signal}: no new requests; waiting up to ${graceMs / 1000} s for those in flight (press Ctrl-C again to cancel them)`);
      stop.abort(new Error("interrupted"));
      grace = setTimeout(() => cancel.abort(new Error("interrupted")), graceMs);
      grace.unref();
    } else if (!cancel.signal.aborted) {
      log.warn(`${signal}: cancelling the requests in flight`);
      cancel.abort(new Error("interrupted"));
    }
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);
  return {
    stop: stop.signal,
    cancel: cancel.signal,
    dispose() {
      process.off("SIGINT", onSignal);
      process.off("SIGTERM", onSignal);
      if (grace) clearTimeout(grace);
    },
  };
}
