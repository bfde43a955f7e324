/**
 * Core types shared by every module. The field names of `GenerationResult`, `BackoffStats`
 * and `Usage` are the public output contract (one JSON line per record): change them only on purpose.
 */
import type { BatchApi, BatchLine, BatchRef } from "./batch/batch-api.js";

export type Role = "system" | "developer" | "user" | "assistant" | "tool";

/**
 * One part of a message's content, in OpenAI's shape: `{"type": "text", "text": "…"}`,
 * `{"type": "image_url", "image_url": {"url": "…"}}`, or any other type (`input_audio`, `file`, …),
 * which is kept as the input had it.
 */
export interface ContentPart {
  type: string;
  text?: string;
  image_url?: { url: string; detail?: string };
  [key: string]: unknown;
}

export interface ChatMessage {
  role: Role;
  /** Text, or content parts; `null` only on an assistant message that carries `tool_calls`. */
  content: string | ContentPart[] | null;
  /** A record's message may carry more (`name`, `tool_calls`, `tool_call_id`, …): sent to OpenAI as it is. */
  [key: string]: unknown;
}

/** Structured-output request, in OpenAI's shape; the Ollama provider maps it to `format`. */
export type ResponseFormat = { type: "text" } | { type: "json_object" } | { type: "json_schema"; json_schema: { name: string; schema?: Record<string, unknown>; strict?: boolean } };

/** Generation parameters. Only the ones a provider understands are sent. */
export interface LlmParams {
  temperature?: number;
  /** Upper bound on output tokens, per choice (to OpenAI under `max_tokens_field`, else the field `maxTokensFieldFor` picks; `num_predict` to Ollama). */
  max_tokens?: number;
  top_p?: number;
  seed?: number;
  stop?: string | string[];
  response_format?: ResponseFormat;
  /** Number of choices (OpenAI `n`); the TPM reservation covers all of them. Set from a record's own body. */
  n?: number;
  /**
   * The field a record's own body gave the output cap in, sent under that name to OpenAI. Unset:
   * the provider picks (see `maxTokensFieldFor`).
   */
  max_tokens_field?: "max_tokens" | "max_completion_tokens";
}

export interface LlmRequest {
  model: string;
  messages: ChatMessage[];
  params: LlmParams;
  /**
   * The other fields of a record's own request body (`tools`, `logprobs`, `logit_bias`, `user`, …),
   * which llmbatch does not interpret: OpenAI gets them as they are, Ollama maps what has an
   * equivalent and refuses the request for what has none.
   */
  extra?: Record<string, unknown>;
}

/**
 * What an embeddings request embeds, as OpenAI's `/v1/embeddings` takes it: one text, several texts
 * (one vector each, in order), or the same as token ids (one array, or a list of them).
 */
export type EmbedInput = string | string[] | number[] | number[][];

/** An embeddings request: OpenAI `/v1/embeddings`, Ollama `/api/embed`. */
export interface EmbedRequest {
  model: string;
  input: EmbedInput;
  /** Length of the returned vectors, for models that can shorten theirs (text-embedding-3-*). */
  dimensions?: number;
  /** `base64`: each vector comes back as the base64 text of its little-endian float32 values. Unset: floats. */
  encoding_format?: "float" | "base64";
  /** The other fields of a record's own body (`user`, …), sent as they are; Ollama refuses what it has no equivalent for. */
  extra?: Record<string, unknown>;
}

/** One vector: floats, or its base64 text when the request asked for `encoding_format: "base64"`. */
export type Embedding = number[] | string;

export interface EmbedResponse {
  /** One per input, in input order. */
  embeddings: Embedding[];
  /** `input_tokens` as the provider counted them (`prompt_tokens`); `output_tokens` is always 0. */
  usage: Usage;
  /** Model name the provider reported. */
  model: string;
  providerId?: string;
  rateLimits?: RateLimitInfo;
  /** Answered through a provider batch (`--batch`): which batch and line. */
  batch?: BatchRef;
  /** As `LlmResponse.serverQueueMs` (Ollama's `load_duration`). */
  serverQueueMs?: number;
}

/** A tool call as OpenAI returns it: `{id, type: "function", function: {name, arguments}}`, `arguments` a JSON string. */
export interface ToolCall {
  id?: string;
  type: string;
  function?: { name: string; arguments: string };
  [key: string]: unknown;
}

/**
 * A call of a legacy function (`functions` / `function_call` in the request, which OpenAI's Chat
 * Completions still accepts): `{name, arguments}`, `arguments` a JSON string, as OpenAI returns it.
 */
export interface FunctionCall {
  name: string;
  arguments: string;
  [key: string]: unknown;
}

/** One choice of a reply with several (`n > 1`), as written to the output record. */
export interface ReplyChoice {
  index: number;
  text: string;
  finish_reason: string;
  tool_calls?: ToolCall[];
  /** The legacy function call of this choice (`finish_reason: "function_call"`). */
  function_call?: FunctionCall;
  /** As the provider sent it, when asked for (`logprobs: true`). */
  logprobs?: unknown;
  refusal?: string;
}

/** What a reply carries beyond its first text: written to the output record as they are named. */
export interface ReplyDetails {
  /** The first choice's tool calls. */
  tool_calls?: ToolCall[];
  /** The first choice's legacy function call (a request with `functions`). */
  function_call?: FunctionCall;
  /** The first choice's log probabilities, as the provider sent them. */
  logprobs?: unknown;
  /** Every choice, when there is more than one. */
  choices?: ReplyChoice[];
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  /** Subset of input_tokens served from the provider's prompt cache. */
  cached_tokens: number;
}

/** What the provider told us about its rate limits (OpenAI `x-ratelimit-*`, `retry-after(-ms)`). */
export interface RateLimitInfo {
  limitRequests?: number;
  limitTokens?: number;
  remainingRequests?: number;
  remainingTokens?: number;
  /** Time until the request budget is fully restored. */
  resetRequestsMs?: number;
  /** Time until the token budget is fully restored. */
  resetTokensMs?: number;
  /** Server's wait hint on a 429/503 (`retry-after-ms`, `retry-after`). */
  retryAfterMs?: number;
}

export interface LlmResponse {
  text: string;
  /** `stop` | `length` | `content_filter` | `tool_calls` | … as the provider reported it. */
  finishReason: string;
  usage: Usage;
  /** Model name the provider resolved (may be a dated snapshot of the alias sent). */
  model: string;
  /** Provider's id for the response or request (`chatcmpl-…`, `x-request-id`). */
  providerId?: string;
  rateLimits?: RateLimitInfo;
  /**
   * Time the request waited on the server before its work began, when the server says (Ollama's
   * `load_duration`, which includes the wait in its scheduler queue). Drives Ollama's adaptive
   * concurrency.
   */
  serverQueueMs?: number;
  /** Tool calls, a function call, logprobs and further choices, when the reply has any. */
  details?: ReplyDetails;
  /** Answered through a provider batch (`--batch`): which batch and line. */
  batch?: BatchRef;
}

/**
 * Closed set of error kinds. Each has a fixed retry policy (see `errors.ts`).
 * Fatal kinds (`auth`, `insufficient_quota`, `model_not_found`) stop admitting new work.
 */
export const ERROR_TYPES = [
  "rate_limit",
  "insufficient_quota",
  "auth",
  "permission",
  "bad_request",
  "context_length",
  "model_not_found",
  "timeout",
  "network",
  "server",
  "overloaded",
  "invalid_response",
  "content_filter",
  "invalid_input",
  "budget_exceeded",
  "not_attempted",
  "cancelled",
  "pipeline_step",
  "unknown",
] as const;
export type ErrorType = (typeof ERROR_TYPES)[number];

/** The error part of a failed result, as written to the output. */
export interface ResultError {
  type: ErrorType;
  message: string;
  status?: number;
  retriable: boolean;
  /** Provider's error code (`rate_limit_exceeded`, `context_length_exceeded`, …) when it sent one. */
  code?: string;
  /** Input line number, for `invalid_input`. */
  line?: number;
}

/** Client-side waits (gates) kept apart from server-side delay (retries). */
export interface BackoffStats {
  rpm_waits: number;
  rpm_wait_ms: number;
  tpm_waits: number;
  tpm_wait_ms: number;
  retries: number;
  retry_wait_ms: number;
  /** Waits for `--max-cost` money held by requests in flight; present only when a budget is set. */
  budget_waits?: number;
  budget_wait_ms?: number;
}

/** What a step's result carries, whether the step succeeded or failed. */
interface StepResultCommon {
  id: string;
  /** The step did not run (`when` was false, or its `from` steps had no output), or failed with `on_error: skip`. */
  skipped?: boolean;
  ms: number;
  model?: string;
  usage?: Usage;
  cost_usd?: number | null;
  attempts?: number;
  /** Re-asks after a reply that was not valid JSON or did not match the step's schema. */
  repairs?: number;
  /** The provider's finish reason of the step's last reply (`stop`, `length`, …), on LLM steps that got one. */
  finish_reason?: string;
  /** Every call of the step was answered from the response cache (`--cache`): nothing was sent, `cost_usd` is 0. */
  cached?: true;
  /** What the step's calls answered from the cache would have cost (null: a model without a price); only when some were. */
  saved_usd?: number | null;
  /** `--batch`: the batch and line that answered the step's last call. */
  batch?: BatchRef;
}

/** A step that ran and succeeded, or was skipped (then it has no output). */
export interface OkStepResult extends StepResultCommon {
  ok: true;
  output?: unknown;
  error?: never;
}

/** A step that failed, even when `on_error: skip` let the record carry on (then `skipped` is set). */
export interface FailedStepResult extends StepResultCommon {
  ok: false;
  error: ResultError;
  output?: never;
}

export type StepResult = OkStepResult | FailedStepResult;

/** What every record's result carries, whether it succeeded or failed. */
interface ResultCommon extends ReplyDetails {
  id: string;
  model?: string;
  provider?: string;
  usage: Usage;
  /** null when a model used has no price (see the summary's `unpriced_models`). Calls answered from the cache count 0. */
  cost_usd: number | null;
  /** What the calls answered from the response cache would have cost; only on records that had such calls. */
  saved_usd?: number | null;
  attempts: number;
  backoff: BackoffStats;
  latency_ms: number;
  steps: StepResult[];
  finish_reason?: string;
  /** A request-body line's own `metadata`, copied as it is (a join key, as with OpenAI's cookbook). */
  metadata?: unknown;
  /** The input record's fields, with `--include-input`. */
  input?: Record<string, unknown>;
}

/** A record that succeeded: `output` is its output step's value (null when that step produced none). */
export interface OkResult<T = unknown> extends ResultCommon {
  ok: true;
  output: T;
  error?: never;
}

/** A record that failed: `error` says why; there is no output. */
export interface FailedResult extends ResultCommon {
  ok: false;
  error: ResultError;
  output?: never;
}

/**
 * The value every input record ends as. Never thrown. Check `ok` to reach `output` (true) or
 * `error` (false); `T` types the output for callers that know it.
 */
export type GenerationResult<T = unknown> = OkResult<T> | FailedResult;

/** One input record, after parsing. */
export interface InputRecord {
  /** The record's own id as written, or "" when it has none: the id registry (io/dedupe.ts) then gives it its content id. */
  id: string;
  /** 1-based line (JSONL) or row line (CSV) where the record starts. */
  line: number;
  prompt?: string;
  messages?: ChatMessage[];
  /** Every field of the record (template variables). */
  vars: Record<string, unknown>;
  /**
   * Set when the line is a request body: an OpenAI Batch API line (`batch`), a whole
   * chat-completions body (`chat`, the format of OpenAI's cookbook) or a whole embeddings body
   * (`embeddings`: `model` and `input`, the cookbook's embeddings format). Its model and parameters
   * are the record's own and win over the run's.
   */
  body?: "batch" | "chat" | "embeddings";
  model?: string;
  params?: LlmParams;
  /** The body's other fields, sent as they are (see `LlmRequest.extra`). */
  extra?: Record<string, unknown>;
  /**
   * Set when the line is an embeddings request (`body: "embeddings"`, or a Batch API line for
   * `/v1/embeddings`): what llmbatch reads of it. Its other fields are in `extra`.
   */
  embedding?: Omit<EmbedRequest, "model" | "extra">;
  /** The line's `metadata`, copied into its result. */
  metadata?: unknown;
}

/** A line the reader could not turn into a record; it still produces one output line. */
export interface InvalidRecord {
  id: string;
  line: number;
  message: string;
}

export type ReadItem = { kind: "record"; record: InputRecord } | { kind: "invalid"; invalid: InvalidRecord };

/**
 * A provider kind: "openai", "ollama", or a kind a program registered (`registerProvider`). Where
 * a provider is looked up for a step, it names an endpoint: each kind's default endpoint is named
 * after the kind, and a pipeline's `endpoints:` add named ones (`model: local:llama3`).
 */
export type ProviderName = "openai" | "ollama" | (string & {});

export interface ProviderCallOptions {
  signal: AbortSignal;
  timeoutMs: number;
}

/** What a provider limits a call under (see `Provider.quotaScope`). */
export interface QuotaScope {
  /** Identifies the quota: calls with equal keys share one RPM/TPM budget. Never holds a secret. */
  key: string;
  /** For people (summary, report): the model and the endpoint, never the API key. */
  label: string;
}

/**
 * One LLM backend. Makes exactly one HTTP attempt per call (no retries of its own) and throws
 * `ProviderError` with a classified `ErrorType` on failure.
 */
export interface Provider {
  readonly name: ProviderName;
  /**
   * The quota a call of `model` spends: what the server limits together. OpenAI counts limits per
   * organisation, project and model, so an OpenAI-style endpoint has one per endpoint, API key and
   * model; an Ollama server has one for all its models. Every built-in provider has it; a
   * provider written outside llmbatch without it gets one quota per provider kind and model.
   */
  quotaScope?(model: string): QuotaScope;
  /**
   * The tokens the server's limiter charges `request` at admission, when it counts them its own way
   * (OpenAI: an estimate from the characters of the request, plus the output cap). The quota reserves
   * the larger of this and the tokenizer's estimate. Absent: the tokenizer's estimate alone.
   */
  admissionTokens?(request: LlmRequest): number;
  /**
   * Why this provider cannot send the request as it is (a field or content part it has no
   * equivalent for), or undefined. Asked before the call path, so a refused request waits at no
   * gate and counts no attempt.
   */
  check?(request: LlmRequest): string | undefined;
  generate(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse>;
  /**
   * Embeds the request's input: one HTTP attempt, as `generate`. A provider without it cannot run
   * embeddings requests (the record fails with `bad_request`).
   */
  embed?(request: EmbedRequest, options: ProviderCallOptions): Promise<EmbedResponse>;
  /** As `check`, for an embeddings request. */
  checkEmbed?(request: EmbedRequest): string | undefined;
  /**
   * What a call sends, as plain data: where it goes and its body, never the API key. The response
   * cache keys on it, so two calls share a cached answer exactly when they send the same thing.
   * Absent: the cache keys on the provider's name and the request as given.
   */
  sentRequest?(call: SentCall): unknown;
  /** The kind's Batch API (`--batch`); absent: the provider runs no batches. */
  batchApi?(): BatchApi;
  /** `request` as one line of a provider batch, and how its answer is read back (`--batch`). */
  batchLine?(request: LlmRequest): BatchLine<LlmResponse>;
  /** As `batchLine`, for an embeddings request. */
  embedBatchLine?(request: EmbedRequest): BatchLine<EmbedResponse>;
  close?(): Promise<void>;
}

/** One call as `Provider.sentRequest` is asked about it. */
export type SentCall = { kind: "chat"; request: LlmRequest } | { kind: "embed"; request: EmbedRequest };

/** Whether an input is a list (of texts, or of token arrays), rather than one text or one token array. */
export function isEmbedList(input: EmbedInput): input is string[] | number[][] {
  return typeof input !== "string" && typeof input[0] !== "number";
}

/** How many vectors an input asks for: one per item of a list, else one. */
export function embedInputCount(input: EmbedInput): number {
  return isEmbedList(input) ? input.length : 1;
}

export function emptyUsage(): Usage {
  return { input_tokens: 0, output_tokens: 0, cached_tokens: 0 };
}

export function emptyBackoff(): BackoffStats {
  return { rpm_waits: 0, rpm_wait_ms: 0, tpm_waits: 0, tpm_wait_ms: 0, retries: 0, retry_wait_ms: 0 };
}

/** The result of a record that failed before any step ran (unreadable, not attempted, an internal error). */
export function failedResult(id: string, error: ResultError): FailedResult {
  return { id, ok: false, error, usage: emptyUsage(), cost_usd: 0, attempts: 0, backoff: emptyBackoff(), latency_ms: 0, steps: [] };
}

export function addUsage(into: Usage, u: Usage): void {
  into.input_tokens += u.input_tokens;
  into.output_tokens += u.output_tokens;
  into.cached_tokens += u.cached_tokens;
}

export function addBackoff(into: BackoffStats, b: BackoffStats): void {
  into.rpm_waits += b.rpm_waits;
  into.rpm_wait_ms += b.rpm_wait_ms;
  into.tpm_waits += b.tpm_waits;
  into.tpm_wait_ms += b.tpm_wait_ms;
  into.retries += b.retries;
  into.retry_wait_ms += b.retry_wait_ms;
  if (b.budget_waits !== undefined) into.budget_waits = (into.budget_waits ?? 0) + b.budget_waits;
  if (b.budget_wait_ms !== undefined) into.budget_wait_ms = (into.budget_wait_ms ?? 0) + b.budget_wait_ms;
}
