/**
 * What the Files and Batches routes did, for `SimulatorHandle.stats().batch`: uploads, the batches
 * created (with their metadata and the hash of their input file), and every line run, billed per
 * `custom_id` and per model at the price table's batch prices. Batch lines are a pool of their
 * own: they never count in the synchronous figures (`requests`, `ok`, `inputTokens`, …).
 */
import { findPrice, loadPriceTable } from "../cost/prices.js";

export interface CreatedBatch {
  id: string;
  endpoint: string;
  inputFileId: string;
  /** sha256 (hex) of the input file's bytes. */
  inputSha256: string;
  metadata: Record<string, string> | null;
  /** Unix ms. */
  createdAtMs: number;
}

export interface BatchModelBill {
  /** Lines answered 200 (the ones billed). */
  requests: number;
  inputTokens: number;
  outputTokens: number;
  /** At the price table's batch prices (its 50% discount where it lists none); null when the model is unpriced. */
  costUsd: number | null;
}

export interface BatchStats {
  /** `POST /v1/files` uploads stored (dropped ones included: they are stored before the drop). */
  filesUploaded: number;
  /** Uploads stored, then answered with a dropped connection (a fault). */
  uploadsDropped: number;
  /** Batches created, in creation order (dropped-response creates included: the batch exists). */
  created: CreatedBatch[];
  /** Creates whose batch was made, then whose response was dropped (the double-create trap). */
  createsDropped: number;
  /** Lines run inside batches (each execution once, whatever its answer). */
  linesRun: number;
  /** Lines answered 200. */
  linesOk: number;
  /** Lines answered with an HTTP error (4xx/5xx in the error file). */
  linesFailed: number;
  /** custom_id → how many times a line with it was answered 200 (billed), across all batches. */
  billed: Record<string, number>;
  /** custom_id → how many times a line with it was run at all, across all batches. */
  executed: Record<string, number>;
  /** Totals over billed lines. */
  inputTokens: number;
  outputTokens: number;
  /** Billed lines per model, as named in the request bodies. */
  byModel: Record<string, BatchModelBill>;
}

export class BatchStatsRecorder {
  #stats: BatchStats = BatchStatsRecorder.#empty();

  static #empty(): BatchStats {
    return { filesUploaded: 0, uploadsDropped: 0, created: [], createsDropped: 0, linesRun: 0, linesOk: 0, linesFailed: 0, billed: {}, executed: {}, inputTokens: 0, outputTokens: 0, byModel: {} };
  }

  uploaded(dropped: boolean): void {
    this.#stats.filesUploaded++;
    if (dropped) this.#stats.uploadsDropped++;
  }

  created(batch: CreatedBatch, dropped: boolean): void {
    this.#stats.created.push(batch);
    if (dropped) this.#stats.createsDropped++;
  }

  /** One line run: `usage` only for a 200 (billed) answer. */
  line(customId: string, model: string, usage: { inputTokens: number; outputTokens: number } | undefined): void {
    const s = this.#stats;
    s.linesRun++;
    s.executed[customId] = (s.executed[customId] ?? 0) + 1;
    if (!usage) {
      s.linesFailed++;
      return;
    }
    s.linesOk++;
    s.billed[customId] = (s.billed[customId] ?? 0) + 1;
    s.inputTokens += usage.inputTokens;
    s.outputTokens += usage.outputTokens;
    const bill = (s.byModel[model] ??= { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 });
    bill.requests++;
    bill.inputTokens += usage.inputTokens;
    bill.outputTokens += usage.outputTokens;
    bill.costUsd = batchCost(model, bill.inputTokens, bill.outputTokens);
  }

  snapshot(): BatchStats {
    const s = this.#stats;
    const byModel = Object.fromEntries(Object.entries(s.byModel).map(([model, bill]) => [model, { ...bill }]));
    return { ...s, created: s.created.map((b) => ({ ...b })), billed: { ...s.billed }, executed: { ...s.executed }, byModel };
  }

  reset(): void {
    this.#stats = BatchStatsRecorder.#empty();
  }
}

/** The table's batch prices, else half its synchronous ones (the Batch API's documented discount). */
function batchCost(model: string, inputTokens: number, outputTokens: number): number | null {
  const price = findPrice(loadPriceTable(), model, "openai");
  if (!price) return null;
  const input = price.batch_input ?? price.input / 2;
  const output = price.batch_output ?? price.output / 2;
  return (inputTokens * input + outputTokens * output) / 1_000_000;
}
