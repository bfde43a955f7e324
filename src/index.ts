/**
 * The llmbatch library (`import … from "llmbatch"`): the stable surface, what a program needs to
 * do what the CLI does. Everything else in `src/` is internal and may change in any release.
 * The bundled simulator is `llmbatch/simulator`; test doubles are `llmbatch/testing`.
 *
 *     import { BaseLLMService, runPipeline, runBatch } from "llmbatch";
 */

// Your own service: business methods over one LLM call each, and helpers to compose their results.
export { BaseLLMService, type LLMServiceOptions, type GenerateRequest } from "./service/base-llm-service.js";
export { mapResult, unwrap, collectResults, isOk, ResultFailedError, type CollectedResults } from "./service/results.js";

// Running records through a pipeline: a stream of results, or a whole batch from a file to a file.
export { runPipeline, type RunPipelineOptions } from "./run/run-pipeline.js";
export { runBatch, EXIT, type BatchConfig, type BatchOutcome } from "./run/batch.js";

// The response cache (`cache:` of runBatch, runPipeline and BaseLLMService; `--cache` in the CLI).
export { defaultCacheDir, parseSize, parseDuration, DEFAULT_CACHE_MAX_SIZE, type CacheOptions, type CacheSetting } from "./cache/cache-options.js";

// Quotas: what a provider limits (per model of an endpoint and key; per Ollama server), and where their buckets live.
export { MemoryQuotaStore } from "./gates/memory-quota-store.js";
export { Quotas } from "./gates/quotas.js";
export type { Quota, QuotaGrant, QuotaCounters } from "./gates/quota.js";
export type { QuotaStore, QuotaLimits, QuotaGauges, TakeResult, MaybePromise } from "./gates/quota-store.js";
export type { StopReason } from "./engine/stop-reason.js";
export type { QuotaFigure, QuotaShareFigure, QuotaStoreSummary } from "./metrics/quota-figures.js";
// Quotas shared across processes and machines through Redis (`llmbatch run --redis`); the client is loaded on first use.
export { openRedisQuotaStore, type RedisQuotaStore, type RedisQuotaStoreOptions } from "./run/quota-store-setup.js";
export { maskRedisUrl } from "./gates/redis/redis-url.js";
export { resolveRunOptions, type RunOptionsInput, type ResolvedRunOptions } from "./config/run-options.js";
export { estimateBatch, type BatchEstimate, type EstimateConfig, type EstimateLine } from "./run/estimate.js";
export type { MaxErrors } from "./engine/error-limit.js";
export type { RetryTiming } from "./engine/retry.js";

// Pipelines (YAML files or objects).
export {
  loadPipeline,
  parsePipeline,
  defaultPipeline,
  type Pipeline,
  type PipelineStep,
  type GenerateStep,
  type EmbedStep,
  type ExtractStep,
  type ConvertStep,
  type ConvertOp,
  type ValidateStep,
  type OnError,
  type OnTruncated,
  type Limits,
  type Endpoint,
} from "./config/pipeline.js";

// Input and output files.
export { openInput, type InputFormat, type OpenInputOptions, type OpenedInput } from "./io/open-input.js";
export { createResultWriter, type ResultWriter, type ResultWriterOptions, type OutputFormat } from "./io/result-writer.js";

// Summary and metrics: the `--summary` file, `--metrics-file` lines, the live figures `onResult` gets.
export type { RunSummary, BudgetSummary, CacheSummary, Percentiles, CostUnknown } from "./metrics/summary.js";
export type { MetricsRecorder, MetricsSnapshot } from "./metrics/metrics-recorder.js";
export type { LiveLine } from "./metrics/live-metrics.js";

// Providers and prices.
export { OpenAIProvider } from "./providers/openai/openai-provider.js";
export { OllamaProvider } from "./providers/ollama/ollama-provider.js";
export { createProvider, type CreateProviderOptions, type ProviderConnections, type EndpointConnection } from "./providers/create.js";
export { registerProvider, providerKindNames, type ProviderKind, type ProviderCapabilities, type EndpointSettings, type ClassifyContext } from "./providers/registry.js";
export { loadPriceTable, findPrice, costOf, withPriceOverrides, type PriceTable, type ModelPrice } from "./cost/prices.js";
export { loadPriceOverrides, type PriceOverrides } from "./config/price-overrides.js";

// Errors: run-level problems throw these; a failed record is a value (`GenerationResult` with `ok: false`).
export { ProviderError, UsageError, ERROR_POLICY, type ProviderErrorInit, type ErrorPolicy } from "./errors.js";
export { ConfigError, formatProblem, type ConfigProblem } from "./config/config-error.js";

// The core types.
export {
  ERROR_TYPES,
  type Role,
  type ContentPart,
  type ChatMessage,
  type ResponseFormat,
  type LlmParams,
  type LlmRequest,
  type LlmResponse,
  type EmbedInput,
  type EmbedRequest,
  type SentCall,
  type EmbedResponse,
  type Embedding,
  type ToolCall,
  type FunctionCall,
  type ReplyChoice,
  type ReplyDetails,
  type Usage,
  type RateLimitInfo,
  type ErrorType,
  type ResultError,
  type BackoffStats,
  type StepResult,
  type OkStepResult,
  type FailedStepResult,
  type GenerationResult,
  type OkResult,
  type FailedResult,
  type InputRecord,
  type InvalidRecord,
  type ReadItem,
  type ProviderName,
  type ProviderCallOptions,
  type Provider,
  type QuotaScope,
} from "./types.js";
