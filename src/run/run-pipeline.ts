/**
 * `runPipeline`: a pipeline over any (async) iterable of records, as a stream of results, for
 * programs that want the CLI's engine without its files: `for await (const r of runPipeline(p, rows, {…}))`.
 */
import { loadPipeline, type Pipeline } from "../config/pipeline.js";
import { resolveRunOptions } from "../config/run-options.js";
import { GenerationEngine, type EngineOptions } from "../engine/engine.js";
import { dedupeIds } from "../io/dedupe.js";
import { tooDeepMessage, valueNestingProblem } from "../io/nesting-depth.js";
import { recordId, toRecord } from "../io/record.js";
import { loneSurrogateIn, loneSurrogateMessage } from "../io/well-formed.js";
import { createProvider, providerSettings, type ProviderConnections } from "../providers/create.js";
import { loadPriceTable } from "../cost/prices.js";
import { checkRedisUrl } from "../config/redis-url.js";
import { openRunQuotaStore } from "./quota-store-setup.js";
import type { GenerationResult, InputRecord, Provider, ProviderName, ReadItem } from "../types.js";
import { openResponseCache, resolveCacheOptions, type CacheSetting } from "../cache/cache-options.js";

export interface RunPipelineOptions extends Partial<Omit<EngineOptions, "pipeline" | "provider" | "prices" | "cache">> {
  /**
   * The response cache: `true` (in `~/.cache/llmbatch`, 2 GB) or `{dir, maxSize, ttl}`; opened
   * for the run and closed when it ends. One that cannot be opened is a warning (`onWarning`).
   * @default false
   */
  cache?: CacheSetting;
  /** Where each provider lives (API key, base URL, Ollama host). Ignored when `providers` is given. */
  connections?: ProviderConnections;
  /** Your own providers (a custom backend, a test double); replaces `connections`. */
  providers?: (name: ProviderName) => Provider;
  prices?: EngineOptions["prices"];
  /**
   * Share the quotas with every llmbatch process naming this Redis (`redis://[user:password@]host[:port][/db]`
   * or `rediss://`), as `llmbatch run --redis` does: opened before the first record is sent, closed
   * when the stream ends. Ignored when `quotaStore` or `quotas` is given.
   */
  redis?: string;
}

/**
 * Runs every record through the pipeline (an object, or the path of a YAML file) and yields one
 * result per record as it completes (in input order with `ordered: true`). Records are
 * `InputRecord`s or plain objects such as `{id: "1", text: "…"}`, whose fields become template
 * variables; an object that cannot be a record yields an `invalid_input` result. Ids follow the
 * CLI's rule: an object without an id gets its content id (`c:<16 hex>`), and a repeated id makes
 * the later record an `invalid_input` result under `<id>#line-<n>` (n counts records from 1).
 * The pipeline's `limits` apply unless the options say otherwise.
 */
export async function* runPipeline(
  pipeline: Pipeline | string,
  records: Iterable<InputRecord | Record<string, unknown>> | AsyncIterable<InputRecord | Record<string, unknown>>,
  options: RunPipelineOptions = {},
): AsyncGenerator<GenerationResult> {
  const p = typeof pipeline === "string" ? await loadPipeline(pipeline) : pipeline;
  const resolved = resolveRunOptions({}, p);
  const { connections = {}, providers, redis, cache: cacheSetting, ...rest } = options;
  const url = redis === undefined || rest.quotaStore !== undefined || rest.quotas !== undefined ? undefined : checkRedisUrl("redis", redis);
  const store = url === undefined ? undefined : await openRunQuotaStore(url, { onWarning: (m) => rest.onWarning?.(m) }, "redis");
  try {
    const cacheOptions = resolveCacheOptions(cacheSetting ?? p.cache);
    const cache = cacheOptions && (await openResponseCache(cacheOptions, options.onWarning));
    try {
      yield* runEngine(records, resolved, store === undefined ? rest : { ...rest, quotaStore: store }, connections, providers, cache);
    } finally {
      await cache?.close();
    }
  } finally {
    await store?.close();
  }
}

function runEngine(
  records: Parameters<typeof runPipeline>[1],
  resolved: ReturnType<typeof resolveRunOptions>,
  rest: Omit<RunPipelineOptions, "connections" | "providers" | "cache" | "redis">,
  connections: ProviderConnections,
  providers: RunPipelineOptions["providers"],
  cache: EngineOptions["cache"],
): AsyncGenerator<GenerationResult> {
  const engine = new GenerationEngine({
    cache,
    concurrency: resolved.concurrency,
    rpm: resolved.rpm,
    tpm: resolved.tpm,
    maxRetries: resolved.maxRetries,
    timeoutMs: resolved.timeoutMs,
    ...rest,
    pipeline: resolved.pipeline,
    prices: rest.prices ?? loadPriceTable(),
    provider: providers ?? ((name) => createProvider(providerSettings(name, resolved.pipeline, connections))),
  });
  return engine.run(dedupeIds(asItems(records)));
}

async function* asItems(records: Iterable<InputRecord | Record<string, unknown>> | AsyncIterable<InputRecord | Record<string, unknown>>): AsyncGenerator<ReadItem> {
  let n = 0;
  for await (const r of records) {
    n++;
    // The same bound as the file readers', so no later stage (writers, templates) can overflow.
    const fields = isInputRecord(r) ? r.vars : r;
    const nesting = valueNestingProblem(fields);
    if (nesting !== undefined) {
      const message = nesting === "circular" ? "the record refers to itself (a circular structure), which cannot be written as JSON" : tooDeepMessage(fields);
      yield { kind: "invalid", invalid: { id: isInputRecord(r) ? r.id : recordId(r, n), line: isInputRecord(r) ? r.line : n, message } };
      continue;
    }
    // As the file readers refuse them: such a string can be neither sent as given nor written as UTF-8.
    const surrogate = loneSurrogateIn(fields) ?? (isInputRecord(r) ? loneSurrogateIn({ prompt: r.prompt, messages: r.messages }) : undefined);
    if (surrogate !== undefined) {
      const id = isInputRecord(r) ? r.id : recordId(r, n);
      yield { kind: "invalid", invalid: { id: id.isWellFormed() ? id : "", line: isInputRecord(r) ? r.line : n, message: loneSurrogateMessage(surrogate) } };
      continue;
    }
    if (isInputRecord(r)) {
      yield { kind: "record", record: r };
      continue;
    }
    const record = toRecord(r, n);
    yield typeof record === "string" ? { kind: "invalid", invalid: { id: recordId(r, n), line: n, message: record } } : { kind: "record", record };
  }
}

function isInputRecord(r: InputRecord | Record<string, unknown>): r is InputRecord {
  return typeof r["id"] === "string" && typeof r["line"] === "number" && typeof r["vars"] === "object" && r["vars"] !== null;
}
