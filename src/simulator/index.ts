/**
 * An OpenAI- and Ollama-compatible HTTP server for the demo, the tests and the
 * benchmarks: real wire formats (OpenAI's and Ollama's API references), rate limits enforced over slices of the
 * minute, latency, seeded fault injection and `[[sim:…]]` test directives.
 * It is a stand-in for a provider, never a silent replacement for one.
 */
import { bpeEncoding } from "../tokens/bpe.js";
import { type BatchApi, createBatchApi } from "./batch-api.js";
import { type SimulatorBatchOptions, batchApiSettings } from "./batch-options.js";
import type { BatchObject } from "./batch-store.js";
import { AttemptCounter } from "./directives.js";
import { FaultDrawer } from "./faults.js";
import { ModelCatalog } from "./models.js";
import { ModelQueue } from "./ollama-queue.js";
import { RateLimiter } from "./rate-limiter.js";
import { hashString, mulberry32 } from "./rng.js";
import { count, positive } from "./option-checks.js";
import { createSimulatorServer, listen, shutdown } from "./server.js";
import { type ReceivedRequest, type SimulatorStats, StatsRecorder } from "./stats.js";
import type { SimContext } from "./context.js";

export type { ReceivedRequest, SimulatorStats } from "./stats.js";
export type { BatchStats, BatchModelBill, CreatedBatch } from "./batch-stats.js";
export type { BatchObject } from "./batch-store.js";
export type { SimulatorBatchOptions } from "./batch-options.js";
export { DEFAULT_MODELS } from "./models.js";

/** Probabilities per request, each 0..1, drawn independently in this order. @default all 0 */
export interface SimulatorFaults {
  /** 500 `server_error` ("The server had an error while processing your request…"). */
  server500?: number;
  /** 503 overloaded (OpenAI body) / 503 "server busy…" (Ollama routes). */
  overloaded503?: number;
  /** Destroy the socket without a response (client sees ECONNRESET / "fetch failed"). */
  reset?: number;
  /** Accept the request and never answer, until the client aborts or the server closes. */
  hang?: number;
  /** Send 200 with headers and only part of the body, then destroy the socket. */
  truncated?: number;
}

export interface SimulatorOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Requests per minute, per model. @default undefined (unlimited) */
  rpm?: number;
  /**
   * Tokens per minute, per model: charged at admission (prompt + max output), the unused part given
   * back when the request is answered. @default undefined (unlimited)
   */
  tpm?: number;
  /**
   * Limits are enforced over slices: bucket capacity = limit × burstSeconds / 60,
   * so 6000 RPM with the default allows 100 requests per second.
   * @default 1
   */
  burstSeconds?: number;
  /** Uniform latency range per request, in ms. @default [0, 0] */
  latencyMs?: [number, number];
  /** Replies and fault draws are deterministic given the seed and the request order/content. @default 1 */
  seed?: number;
  /** When set, OpenAI routes require `Authorization: Bearer <apiKey>` (401 otherwise). @default undefined */
  apiKey?: string;
  /** Random faults. @default none */
  faults?: SimulatorFaults;
  /**
   * Restricts the models served to these names (for tests of `model_not_found`): their dated
   * snapshots (`gpt-4o-mini-2024-07-18`) and Ollama tags (`llama3.2:latest`) are accepted, anything
   * else is a 404. Without it any model name is served, as a real OpenAI-compatible server serves
   * its own models, and `/v1/models` and `/api/tags` list DEFAULT_MODELS.
   * @default undefined (any name; DEFAULT_MODELS listed: gpt-4o-mini … gpt-5-nano, llama3.2, llama3.1, qwen2.5, mistral)
   */
  models?: string[];
  /** Tokens reserved against TPM when a request sets no max tokens. @default 4096 */
  defaultMaxOutput?: number;
  /** Ollama's scheduler per model: parallel slots and pending-queue size (503 beyond it). @default { numParallel: 1, maxQueue: 512 } */
  ollama?: { numParallel?: number; maxQueue?: number };
  /** Do not log internal errors to stderr. @default false */
  quiet?: boolean;
  /** Keep every generation request's body for `requests()` (tests: what was sent). @default false */
  recordRequests?: boolean;
  /** The Files and Batches API. @default see SimulatorBatchOptions */
  batch?: SimulatorBatchOptions;
}

export interface SimulatorHandle {
  /** e.g. `http://127.0.0.1:41234` */
  url: string;
  /** `url + "/v1"`, for `new OpenAI({ baseURL })`. */
  openaiBaseUrl: string;
  /** `url`, for `new Ollama({ host })`. */
  ollamaHost: string;
  stats(): SimulatorStats;
  /** The bodies received since the start or the last `resetStats()`; empty unless `recordRequests`. */
  requests(): ReceivedRequest[];
  resetStats(): void;
  /** Every batch as `GET /v1/batches/{id}` would answer it now, oldest first (tests: what the provider holds). */
  batches(): BatchObject[];
  /**
   * `true` freezes every batch where it is (no validation, no line runs, no transition; routes still
   * answer); `false` lets them catch up at once with their schedule. For tests that act while a batch
   * runs (kill llmbatch while it polls) and then want it done without waiting.
   */
  holdBatches(held: boolean): void;
  /** Drops the response of the next `count` batch creates or file uploads, after doing the work. */
  dropNext(kind: "create" | "upload", count?: number): void;
  /** Closes the server and destroys open sockets (hung requests too). Idempotent. */
  close(): Promise<void>;
}

function latencyRange(range: [number, number] | undefined): readonly [number, number] {
  if (range === undefined) return [0, 0];
  const [min, max] = range;
  if (!(Number.isFinite(min) && Number.isFinite(max) && min >= 0 && max >= min)) {
    throw new RangeError(`simulator option latencyMs must be [min, max] with 0 <= min <= max, got ${JSON.stringify(range)}`);
  }
  return [min, max];
}

export async function startSimulator(options: SimulatorOptions = {}): Promise<SimulatorHandle> {
  const seed = options.seed ?? 1;
  const numParallel = options.ollama?.numParallel ?? 1;
  const maxQueue = options.ollama?.maxQueue ?? 512;
  const queues = new Map<string, ModelQueue>();
  // Validates the numbers now rather than on the first Ollama request.
  new ModelQueue(numParallel, maxQueue);

  const batchSettings = batchApiSettings(options.batch);
  const log = options.quiet ? () => {} : (message: string) => process.stderr.write(`${message}\n`);
  const ctx: SimContext = {
    seed,
    apiKey: options.apiKey,
    defaultMaxOutput: positive(options.defaultMaxOutput, "defaultMaxOutput") ?? 4096,
    latencyMs: latencyRange(options.latencyMs),
    catalog: new ModelCatalog(options.models),
    stats: new StatsRecorder(options.recordRequests),
    limiter: new RateLimiter({
      rpm: positive(options.rpm, "rpm"),
      tpm: positive(options.tpm, "tpm"),
      burstSeconds: positive(options.burstSeconds, "burstSeconds") ?? 1,
    }),
    faults: new FaultDrawer(options.faults ?? {}, mulberry32(hashString("faults", seed))),
    latencyRng: mulberry32(hashString("latency", seed)),
    attempts: new AttemptCounter(),
    queue(family) {
      let queue = queues.get(family);
      if (!queue) {
        queue = new ModelQueue(numParallel, maxQueue);
        queues.set(family, queue);
      }
      return queue;
    },
    batch: undefined as unknown as BatchApi,
  };
  ctx.batch = createBatchApi(ctx, batchSettings, log);

  // Token counts load an encoder on first use (tens of milliseconds, more for o200k). Under a rate
  // limit that stall would hold the first requests back and then charge them all at once, which a
  // real server never does; so a limited simulator loads both before it listens.
  if (options.rpm !== undefined || options.tpm !== undefined) for (const name of ["o200k_base", "cl100k_base"] as const) bpeEncoding(name);

  const server = createSimulatorServer(ctx, log);
  const host = options.host ?? "127.0.0.1";
  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  let closing: Promise<void> | undefined;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    ollamaHost: url,
    stats: () => {
      ctx.batch.runner.advance();
      return ctx.stats.snapshot();
    },
    requests: () => ctx.stats.received(),
    resetStats: () => ctx.stats.reset(),
    batches: () => {
      ctx.batch.runner.advance();
      return ctx.batch.store.all().map((r) => structuredClone(r.wire));
    },
    holdBatches: (held) => ctx.batch.runner.hold(held),
    dropNext: (kind, n = 1) => ctx.batch.drops.arm(kind, count(n, "dropNext count")),
    close: () => {
      ctx.batch.runner.stop();
      return (closing ??= shutdown(server));
    },
  };
}
