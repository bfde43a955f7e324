/**
 * What a results file has cost, kept in its sidecar (`<output>.meta.json`, `spent_usd`) so that
 * `--max-cost` covers the whole file across resumes. Saved every few seconds while the run spends
 * and once more when it ends, however it ends (finished, interrupted, stopped, failed): a crash or
 * `kill -9` loses at most the last interval's spend.
 */
import { writeSpent, type RunMeta } from "../io/run-meta.js";
import { roundUsdTotal } from "../cost/prices.js";

/** How often the spend is saved while a run goes on. */
export const SPEND_SAVE_MS = 5_000;

export class SpendLedger {
  readonly #output: string;
  readonly #meta: RunMeta;
  readonly #thisRun: () => number;
  readonly #onError: (err: unknown) => void;
  #saved: number;
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  /** `thisRun` reads what the current run has spent so far (in-flight worst cases included where known). */
  constructor(output: string, meta: RunMeta, thisRun: () => number, onError: (err: unknown) => void) {
    this.#output = output;
    this.#meta = meta;
    this.#thisRun = thisRun;
    this.#onError = onError;
    this.#saved = this.before;
  }

  /** What the results file had cost before this run. */
  get before(): number {
    return this.#meta.spent_usd ?? 0;
  }

  start(intervalMs = SPEND_SAVE_MS): void {
    this.#timer = setInterval(() => void this.#save(), intervalMs);
    this.#timer.unref();
  }

  /** Stops the timer and saves the final figure. Never throws (a failed save is reported to `onError`). */
  async finish(): Promise<void> {
    clearInterval(this.#timer);
    await this.#save();
  }

  /** Saves when the figure changed; writes are chained so an older figure never lands after a newer one. */
  #save(): Promise<void> {
    const total = roundUsdTotal(this.before + this.#thisRun());
    if (total === this.#saved) return this.#writing;
    this.#saved = total;
    this.#writing = this.#writing.then(() => writeSpent(this.#output, this.#meta, total)).catch(this.#onError);
    return this.#writing;
  }
}
