/** `SimulatorOptions.batch`: the Batch API's clock, limits and faults, checked into the settings the Batch API runs on. */
import type { BatchApiSettings } from "./batch-api.js";
import type { BatchClock } from "./batch-runner.js";
import { count, fraction, nonNegative, positive } from "./option-checks.js";

/**
 * The Files and Batches API (`/v1/files`, `/v1/batches`): its clock, its limits and its faults.
 * The defaults finish a 2,000-line batch in about 1.2 s (100 + 1,000 + 100 ms); slow them down (a low
 * `linesPerSecond`, a long `validatingMs`) for tests that act while batches run.
 */
export interface SimulatorBatchOptions {
  /** False: `/v1/files` and `/v1/batches` answer OpenAI's 404 for an unknown URL, as a server without a Batch API does. @default true */
  enabled?: boolean;
  /** Time a batch spends `validating` before its lines are judged. @default 100 */
  validatingMs?: number;
  /** Lines run per second once `in_progress` (evenly spread; `request_counts` grow as they run). @default 2000 */
  linesPerSecond?: number;
  /** Time in `finalizing` before `completed` (the output and error files appear then). @default 100 */
  finalizingMs?: number;
  /** Time in `cancelling` before `cancelled`. @default 100 */
  cancellingMs?: number;
  /** The completion window: a batch not finalizing by then is `expired`, with partial results. @default 86_400_000 (24 h) */
  completionWindowMs?: number;
  /** Most requests (lines) in one batch; beyond it the batch fails validation. @default 50_000 */
  maxRequests?: number;
  /** Largest batch input file, in bytes; beyond it the batch fails validation. @default 209_715_200 (200 MB) */
  maxInputBytes?: number;
  /** Largest `POST /v1/files` upload, in bytes (413 beyond it). @default 536_870_912 (512 MB) */
  maxUploadBytes?: number;
  /**
   * Enqueued prompt tokens allowed per model (as the request bodies name it): a batch whose prompt
   * tokens, added to those of the same model's batches in progress or finalizing, exceed it fails
   * validation with `token_limit_exceeded`. A number applies to every model; a record to the models it names.
   * @default undefined (unlimited)
   */
  enqueuedTokenLimit?: number | Record<string, number>;
  /** Fraction (0..1) of lines answered 500 `server_error` in the error file, drawn from the seed. @default 0 */
  lineFailureRate?: number;
  /**
   * Responses dropped after the work is done (the client sees a reset connection): `create` makes the
   * batch then drops (the double-create trap), `upload` stores the file then drops. `…First` drops the
   * first N of that kind; the probability applies after them. `SimulatorHandle.dropNext` arms more later.
   * @default none
   */
  faults?: { createDropped?: number; createDroppedFirst?: number; uploadDropped?: number; uploadDroppedFirst?: number };
}

/** The settings `createBatchApi` takes, every value checked (a RangeError naming the option otherwise). */
export function batchApiSettings(o: SimulatorBatchOptions = {}): BatchApiSettings {
  const drops = o.faults ?? {};
  return {
    enabled: o.enabled ?? true,
    clock: batchClock(o),
    maxUploadBytes: positive(o.maxUploadBytes, "batch.maxUploadBytes") ?? 536_870_912,
    dropFirst: { create: count(drops.createDroppedFirst, "batch.faults.createDroppedFirst"), upload: count(drops.uploadDroppedFirst, "batch.faults.uploadDroppedFirst") },
    dropProbability: { create: fraction(drops.createDropped, "batch.faults.createDropped"), upload: fraction(drops.uploadDropped, "batch.faults.uploadDropped") },
  };
}

function tokenLimit(limit: SimulatorBatchOptions["enqueuedTokenLimit"]): (model: string) => number | undefined {
  if (limit === undefined) return () => undefined;
  if (typeof limit === "number") {
    const value = positive(limit, "batch.enqueuedTokenLimit");
    return () => value;
  }
  for (const [model, value] of Object.entries(limit)) positive(value, `batch.enqueuedTokenLimit.${model}`);
  return (model) => limit[model];
}

function batchClock(o: SimulatorBatchOptions): BatchClock {
  return {
    validatingMs: nonNegative(o.validatingMs, "batch.validatingMs", 100),
    linesPerSecond: positive(o.linesPerSecond, "batch.linesPerSecond") ?? 2000,
    finalizingMs: nonNegative(o.finalizingMs, "batch.finalizingMs", 100),
    cancellingMs: nonNegative(o.cancellingMs, "batch.cancellingMs", 100),
    completionWindowMs: positive(o.completionWindowMs, "batch.completionWindowMs") ?? 86_400_000,
    maxRequests: positive(o.maxRequests, "batch.maxRequests") ?? 50_000,
    maxInputBytes: positive(o.maxInputBytes, "batch.maxInputBytes") ?? 209_715_200,
    maxEmbeddingInputs: 50_000,
    enqueuedTokenLimit: tokenLimit(o.enqueuedTokenLimit),
    lineFailureRate: fraction(o.lineFailureRate, "batch.lineFailureRate"),
  };
}
