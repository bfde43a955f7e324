/**
 * The Files and Batches API's shared state, built once per simulator from `SimulatorOptions.batch`:
 * the file store, the batches, their clock, their stats, and the faults that drop a response after
 * the work is done (an upload stored, a batch created: the client sees a network error).
 */
import { BatchRunner, type BatchClock } from "./batch-runner.js";
import type { BatchStatsRecorder } from "./batch-stats.js";
import { BatchStore } from "./batch-store.js";
import type { SimContext } from "./context.js";
import { FileStore } from "./file-store.js";
import { hashString, mulberry32, type Rng } from "./rng.js";

export type DropKind = "create" | "upload";

/** Decides which uploads and creates lose their response: the first N armed ones, then a probability. */
export class DropFaults {
  readonly #armed: Record<DropKind, number>;
  readonly #probability: Record<DropKind, number>;
  readonly #rng: Rng;

  constructor(first: Record<DropKind, number>, probability: Record<DropKind, number>, rng: Rng) {
    this.#armed = { ...first };
    this.#probability = probability;
    this.#rng = rng;
  }

  /** The next `count` responses of this kind are dropped (on top of any already armed). */
  arm(kind: DropKind, count: number): void {
    this.#armed[kind] += count;
  }

  drop(kind: DropKind): boolean {
    if (this.#armed[kind] > 0) {
      this.#armed[kind]--;
      return true;
    }
    return this.#probability[kind] > 0 && this.#rng() < this.#probability[kind];
  }
}

export interface BatchApi {
  files: FileStore;
  store: BatchStore;
  runner: BatchRunner;
  stats: BatchStatsRecorder;
  drops: DropFaults;
  clock: BatchClock;
  /** Largest `POST /v1/files` upload, in bytes. */
  maxUploadBytes: number;
  /** False: `/v1/files` and `/v1/batches` answer 404, as on a server without them. */
  enabled: boolean;
}

export interface BatchApiSettings {
  enabled: boolean;
  clock: BatchClock;
  maxUploadBytes: number;
  dropFirst: Record<DropKind, number>;
  dropProbability: Record<DropKind, number>;
}

export function createBatchApi(ctx: SimContext, settings: BatchApiSettings, log: (message: string) => void): BatchApi {
  const files = new FileStore();
  const store = new BatchStore();
  const stats = ctx.stats.batch;
  const runner = new BatchRunner(ctx, settings.clock, store, files, stats, mulberry32(hashString("batch-line-failures", ctx.seed)), log);
  const drops = new DropFaults(settings.dropFirst, settings.dropProbability, mulberry32(hashString("batch-drops", ctx.seed)));
  return { files, store, runner, stats, drops, clock: settings.clock, maxUploadBytes: settings.maxUploadBytes, enabled: settings.enabled };
}
