/**
 * Why a run stopped admitting work, as a typed value: the run decides on it (exit code, what the
 * records left unsent come out as, what to tell the user), and `stopText` gives the words the
 * summary's `stopped_reason` and the messages have always carried.
 */
import type { BudgetExceededError } from "../cost/budget-gate.js";
import type { ProviderError } from "../errors.js";
import type { ErrorType } from "../types.js";

export type StopReason =
  /** A fatal provider error (auth, quota, unknown model): nothing more can succeed. */
  | { readonly kind: "fatal"; readonly type: ErrorType; readonly message: string }
  /** `--max-cost`: the budget refused a request. */
  | { readonly kind: "budget"; readonly message: string }
  /** `--max-errors`: the text says how many failed. */
  | { readonly kind: "max_errors"; readonly message: string }
  /** SIGINT/SIGTERM or the caller's stop signal. */
  | { readonly kind: "interrupted" }
  /** The reader of the results went away (EPIPE, `| head`). */
  | { readonly kind: "output_closed" };

/** The summary's `stopped_reason` when the reader of the results went away. */
export const OUTPUT_CLOSED_TEXT = "output closed: the reader of the results went away (EPIPE)";

export const INTERRUPTED: StopReason = { kind: "interrupted" };
export const OUTPUT_CLOSED_STOP: StopReason = { kind: "output_closed" };

/** The words of a stop reason, as the output has always said it. */
export function stopText(reason: StopReason): string {
  switch (reason.kind) {
    case "fatal":
      return `fatal: ${reason.type}: ${reason.message}`;
    case "budget":
    case "max_errors":
      return reason.message;
    case "interrupted":
      return "interrupted";
    case "output_closed":
      return OUTPUT_CLOSED_TEXT;
  }
}

/** What a call reports to its run; the run decides whether it stops (see `stopFor`). */
export type CallReport = { readonly kind: "fatal"; readonly error: ProviderError } | { readonly kind: "budget_exhausted"; readonly error: BudgetExceededError };

/** The run's decision on a call's report: both kinds stop admission. */
export function stopFor(report: CallReport): StopReason {
  if (report.kind === "fatal") return { kind: "fatal", type: report.error.type, message: report.error.message };
  return { kind: "budget", message: report.error.message };
}

/** What the records a stop left unsent come out as. */
export function unsentType(reason: StopReason): "not_attempted" | "budget_exceeded" {
  return reason.kind === "budget" ? "budget_exceeded" : "not_attempted";
}
