/**
 * The llmbatch library: everything the CLI does, a program can do by importing it.
 *
 *     import { BaseLLMService, runPipeline, GenerationEngine, startSimulator } from "llmbatch";
 */
export { BaseLLMService, type LLMServiceOptions, type GenerateRequest } from "./service/base-llm-service.js";
export { mapResult, unwrap, collectResults, isOk, ResultFailedError, type OkResult, type CollectedResults } from "./service/results.js";
export { runPipeline, type RunPipelineOptions } from "./run-pipeline.js";
export { compileCondition, ConditionError, type CompiledCondition } from "./engine/condition.js";
export { compileJsonPath, JsonPathError, type CompiledJsonPath } from "./engine/json-path.js";
export { runBatch, EXIT, type BatchConfig, type BatchOutcome, type ProviderConnections } from "./batch.js";
export { GenerationEngine, type EngineOptions } from "./engine/engine.js";
export { callLlm, callEmbed, type CallContext, type CallOutcome } from "./engine/llm-call.js";
export { parseMaxErrors, ErrorLimit, type MaxErrors } from "./engine/error-limit.js";
export { compileTemplate, TemplateError, type CompiledTemplate } from "./engine/template.js";
export { RpmGate } from "./gates/rpm-gate.js";
export { MemoryQuotaStore } from "./gates/memory-quota-store.js";
export { Quotas } from "./gates/quotas.js";
export type { Quota, QuotaGrant, QuotaCounters } from "./gates/quota.js";
export type { QuotaStore, QuotaLimits, QuotaGauges, TakeResult, MaybePromise } from "./gates/quota-store.js";
export type { StopReason } from "./engine/stop-reason.js";
export type { QuotaFigure } from "./metrics/quota-figures.js";
export { TpmGate, GateError, type TpmReservation } from "./gates/tpm-gate.js";
export { BudgetGate, BudgetExceededError, type BudgetHold } from "./gates/budget-gate.js";
export { estimateBatch, type BatchEstimate, type EstimateConfig, type EstimateLine } from "./estimate.js";
export { liveLine, MetricsFile, type LiveLine } from "./metrics/live-metrics.js";
export { renderReport, type ReportInput } from "./report/html-report.js";
export { loadPriceOverrides, type PriceOverrides } from "./config/prices.js";
export { estimatePromptTokens, estimateRequestTokens, estimateEmbedTokens, DEFAULT_OUTPUT_TOKENS } from "./gates/token-estimate.js";
export { systemClock, FakeClock, type Clock } from "./gates/clock.js";
export { MetricsRecorder, type MetricsSnapshot } from "./metrics/metrics-recorder.js";
export { SummaryBuilder, type RunSummary, type BudgetSummary } from "./metrics/summary.js";
export { LatencyHistogram } from "./metrics/latency-histogram.js";
export { loadPipeline, parsePipeline, defaultPipeline, type Pipeline, type PipelineStep, type GenerateStep, type EmbedStep, type ExtractStep, type ConvertStep, type ConvertOp, type ValidateStep, type OnError, type Limits } from "./config/pipeline.js";
export { resolveRunOptions, type RunOptionsInput, type ResolvedRunOptions } from "./config/run-options.js";
export { ConfigError, formatProblem, type ConfigProblem } from "./config/config-error.js";
export { openInput } from "./io/open-input.js";
export { createResultWriter, type ResultWriter } from "./io/result-writer.js";
export { OpenAIProvider } from "./providers/openai-provider.js";
export { OllamaProvider } from "./providers/ollama-provider.js";
export { createProvider } from "./providers/create.js";
export { resolveModel } from "./providers/detect.js";
export { loadPriceTable, findPrice, costOf, withPriceOverrides, type PriceTable, type ModelPrice } from "./providers/prices.js";
export { startSimulator, type SimulatorOptions, type SimulatorHandle, type SimulatorStats } from "./simulator/index.js";
export { ProviderError, UsageError, ERROR_POLICY, redactSecrets } from "./errors.js";
export * from "./types.js";
