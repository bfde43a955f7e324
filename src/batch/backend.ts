/**
 * The `--batch` backend as the engine sees it: the call path's batch stage (`BatchCalls`) and the
 * engine's flow (`RecordFlow`), made before the engine and opened once its providers exist: each
 * provider's Batch API is checked (a server without one is refused before anything is uploaded),
 * the journal beside the output is opened, and the collector starts taking lines.
 */
import { type ProviderError, UsageError } from "../errors.js";
import { isBatchLevel } from "./line-result.js";
import type { Quota } from "../gates/quota.js";
import type { RecordFlow } from "../engine/engine.js";
import type { BatchCalls } from "../engine/llm-call.js";
import type { Provider, ProviderCallOptions, ProviderName } from "../types.js";
import type { BatchApi, BatchInfo, BatchLine } from "./batch-api.js";
import { BatchCollector, type BatchSettings } from "./collector.js";
import { inRecordScope } from "./custom-id.js";
import { BatchJournal, type ChunkEntry } from "./journal.js";
import type { LiveBatch } from "../metrics/live-metrics.js";

export interface BatchOpenOptions {
  output: string;
  fingerprint: string;
  resume: boolean;
  providers: readonly { name: ProviderName; provider: Provider }[];
  /** Records the engine runs at once at most. */
  capacity: number;
  /** Calls waiting for the `--max-cost` budget (freed only by answers): they count as waiting. */
  waitingElsewhere?: () => number;
  stop: AbortSignal;
  /** The user's interrupt: polling ends, batches are left running (see `CollectorOptions.interrupt`). */
  interrupt?: AbortSignal | undefined;
  onProgress?(chunk: ChunkEntry, info: BatchInfo, elapsedMs: number): void;
  onWarning?(message: string): void;
}

/** What the summary says of the batches (`"batch"`). */
export interface BatchSummary {
  /** Batches this run created. */
  batches: number;
  /** Requests this run sent in them. */
  requests: number;
  /** Batches of earlier runs of the results file that this run collected (`--resume`). */
  resumed_batches: number;
  /** Steps answered through a batch. */
  answered: number;
  /** Batches left running at the provider (an interrupt): `--resume` collects them. */
  unfinished: number;
  /** What the same usage would have cost at synchronous prices, less what it cost. */
  saved_usd: number;
}

export class BatchBackend implements BatchCalls, RecordFlow {
  readonly #settings: BatchSettings;
  #collector: BatchCollector | undefined;
  #running = 0;
  #inputDone = false;

  constructor(settings: BatchSettings) {
    this.#settings = settings;
  }

  /** `--batch-fallback sync`: a failure of the batch itself (expired, cancelled, missing line) is retried synchronously. */
  fallsBack(error: ProviderError): boolean {
    return this.#settings.fallbackSync && isBatchLevel(error);
  }

  /** Checks every provider's Batch API, then opens the journal; a provider without one is a `UsageError`. */
  async open(o: BatchOpenOptions): Promise<void> {
    const apis = new Map<ProviderName, BatchApi>();
    for (const { name, provider } of o.providers) {
      const api = provider.batchApi?.();
      if (api === undefined || provider.batchLine === undefined) {
        throw new UsageError(`--batch: provider "${name}" has no Batch API (OpenAI and OpenAI-compatible servers with /v1/files and /v1/batches have one); run without --batch`);
      }
      const missing = await api.probe(o.stop);
      if (missing !== undefined) throw new UsageError(`--batch: endpoint "${name}": ${missing}; run without --batch`);
      apis.set(name, api);
    }
    const journal = await BatchJournal.open(o.output, o.fingerprint, o.resume, o.onWarning);
    this.#collector = new BatchCollector({
      ...this.#settings,
      api: (name) => {
        const api = apis.get(name);
        if (api === undefined) throw new Error(`no Batch API for provider "${name}"`);
        return api;
      },
      journal,
      capacity: o.capacity,
      waitingElsewhere: o.waitingElsewhere,
      stop: o.stop,
      ...(o.interrupt ? { interrupt: o.interrupt } : {}),
      onProgress: o.onProgress,
      onWarning: o.onWarning,
    });
    this.#collector.flow(this.#running, this.#inputDone);
  }

  quota(provider: ProviderName, model: string): Quota {
    return this.#opened().quota(provider, model);
  }

  send<R>(line: BatchLine<R>, op: { provider: ProviderName; model: string; promptTokens: number }, options: ProviderCallOptions): Promise<R> {
    return this.#opened().send(line, op, options);
  }

  run<T>(recordId: string, fn: () => Promise<T>): Promise<T> {
    return inRecordScope(recordId, fn);
  }

  update(running: number, inputDone: boolean): void {
    this.#running = running;
    this.#inputDone = inputDone;
    this.#collector?.flow(running, inputDone);
  }

  summary(answered: number, savedUsd: number): BatchSummary {
    const c = this.#collector;
    return { batches: c?.stats.batches ?? 0, requests: c?.stats.requests ?? 0, resumed_batches: c?.stats.resumed_batches ?? 0, answered, unfinished: c?.unfinished().length ?? 0, saved_usd: savedUsd };
  }

  /** The batches as last polled (`--metrics-file`). */
  live(): LiveBatch[] {
    return this.#collector?.live() ?? [];
  }

  /** Ids of the batches left running at the provider. */
  unfinishedIds(): string[] {
    return (this.#collector?.unfinished() ?? []).map((r) => r.entry.batch_id!);
  }

  #opened(): BatchCollector {
    if (this.#collector === undefined) throw new Error("the batch backend was not opened");
    return this.#collector;
  }
}
