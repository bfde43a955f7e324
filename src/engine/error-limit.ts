import { UsageError } from "../errors.js";
import type { ErrorType, GenerationResult } from "../types.js";

/** `--max-errors`: a number of failed records, or a share of the records finished so far. */
export type MaxErrors = { count: number } | { percent: number };

/** A percentage is judged only after this many records finished, so one early failure cannot stop a run. */
export const MAX_ERRORS_MIN_SAMPLE = 20;

/** Results that are not failures "for good": the record was never tried, or the user cancelled it. */
const NOT_COUNTED: ReadonlySet<ErrorType> = new Set(["not_attempted", "budget_exceeded", "cancelled"]);

/** Parses `10` or `5%`; a usage error names the flag and the value. */
export function parseMaxErrors(name: string, raw: string): MaxErrors {
  const text = raw.trim();
  const percent = /^([0-9]+(?:\.[0-9]+)?)%$/.exec(text);
  if (percent) {
    const p = Number(percent[1]);
    if (p > 0 && p <= 100) return { percent: p };
  } else if (/^[0-9]+$/.test(text) && Number(text) > 0 && Number.isSafeInteger(Number(text))) {
    return { count: Number(text) };
  }
  throw new UsageError(`${name} must be a positive whole number of records or a percentage above 0 and up to 100 (e.g. 50 or 5%), got ${JSON.stringify(raw)}`);
}

/**
 * Counts records that failed for good (every failed result except `not_attempted`,
 * `budget_exceeded` and `cancelled`; `invalid_input` counts, since a template that fits no
 * record is exactly the systematic problem this guards against) and says when the limit is hit.
 */
export class ErrorLimit {
  readonly #limit: MaxErrors;
  #finished = 0;
  #failed = 0;

  constructor(limit: MaxErrors) {
    this.#limit = limit;
  }

  /** Counts one result; returns the reason to stop the run once the limit is reached, else undefined. */
  add(result: GenerationResult): string | undefined {
    if (!result.ok && NOT_COUNTED.has(result.error.type)) return undefined;
    this.#finished++;
    if (result.ok) return undefined;
    this.#failed++;
    if ("count" in this.#limit) {
      return this.#failed >= this.#limit.count ? `max_errors: ${this.#failed} records failed (--max-errors ${this.#limit.count})` : undefined;
    }
    if (this.#finished < MAX_ERRORS_MIN_SAMPLE) return undefined;
    const share = (this.#failed * 100) / this.#finished;
    if (share < this.#limit.percent) return undefined;
    return `max_errors: ${this.#failed} of ${this.#finished} records failed (${Math.round(share * 10) / 10}%, --max-errors ${this.#limit.percent}%)`;
  }
}
