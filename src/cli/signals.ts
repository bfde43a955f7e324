import type { Logger } from "./logger.js";

/** How long in-flight requests may run after the first Ctrl-C before they are cancelled. */
export const GRACE_MS = 30_000;

/**
 * First SIGINT/SIGTERM: stop admitting, let in-flight requests finish (up to the grace period).
 * Second signal, or the grace period over: cancel them through their AbortSignal.
 * Third signal: our handlers are gone by then, so Node's default ends the process at once; lines
 * already written are whole, and `--resume` completes the rest.
 */
export interface InterruptSignals {
  /** Aborted on the first signal: stop admitting. */
  stop: AbortSignal;
  /** Aborted on the second signal or when the grace period is over: cancel in-flight requests. */
  cancel: AbortSignal;
  dispose(): void;
}

/** Where SIGINT/SIGTERM come from: the process, or (in the run thread) the main thread's relay. */
export interface SignalSource {
  on(event: "SIGINT" | "SIGTERM", listener: (signal: NodeJS.Signals) => void): unknown;
  off(event: "SIGINT" | "SIGTERM", listener: (signal: NodeJS.Signals) => void): unknown;
}

export function interruptSignals(log: Logger, graceMs = GRACE_MS, source: SignalSource = process): InterruptSignals {
  const stop = new AbortController();
  const cancel = new AbortController();
  let grace: NodeJS.Timeout | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (!stop.signal.aborted) {
      log.warn(`${signal}: no new requests; waiting up to ${graceMs / 1000} s for those in flight (press Ctrl-C again to cancel them)`);
      stop.abort(new Error("interrupted"));
      grace = setTimeout(() => cancel.abort(new Error("interrupted")), graceMs);
      grace.unref();
    } else {
      log.warn(`${signal}: cancelling the requests in flight (a third signal ends the process at once)`);
      cancel.abort(new Error("interrupted"));
      removeHandlers();
    }
  };
  const removeHandlers = () => {
    source.off("SIGINT", onSignal);
    source.off("SIGTERM", onSignal);
  };
  source.on("SIGINT", onSignal);
  source.on("SIGTERM", onSignal);
  return {
    stop: stop.signal,
    cancel: cancel.signal,
    dispose() {
      removeHandlers();
      if (grace) clearTimeout(grace);
    },
  };
}
