/**
 * OpenAI Chat Completions (and OpenAI-compatible servers) through the official `openai` client.
 * One HTTP attempt per call: the client runs with `maxRetries: 0` and the engine owns retries
 * (openai-node's own retries would retry `insufficient_quota` and "Request too large" 429s, which
 * never succeed, ignore `x-ratelimit-reset-*`, and hide attempts from the metrics).
 */
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from "openai/resources/chat/completions";
import { ProviderError } from "../../errors.js";
import type {
  EmbedRequest,
  EmbedResponse,
  FunctionCall,
  LlmParams,
  LlmRequest,
  LlmResponse,
  Provider,
  ProviderCallOptions,
  QuotaScope,
  SentCall,
  ReplyChoice,
  ReplyDetails,
  ToolCall,
  Usage,
} from "../../types.js";
import { callSignal } from "../call-signal.js";
import { createHttpFetch } from "../http-fetch.js";
import { classifyOpenAIError } from "./classify-openai.js";
import { embeddingsBody, parseEmbeddings } from "./openai-embeddings.js";
import { hasRateLimitInfo, parseRateLimitHeaders } from "../rate-limit-headers.js";
import { openAIAdmissionTokens } from "./openai-admission.js";
import { openAIStyleScopes } from "../quota-scope.js";
import type { BatchApi, BatchLine } from "../../batch/batch-api.js";
import { lineError, OpenAIBatchApi } from "./openai-batch-api.js";

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";

export type MaxTokensField = "max_completion_tokens" | "max_tokens";

export interface OpenAIProviderOptions {
  /** @default "https://api.openai.com/v1" */
  baseURL?: string;
  /** Sent as `Authorization: Bearer …`; without one, no Authorization header is sent at all. */
  apiKey?: string;
  organization?: string;
  project?: string;
  /**
   * Which field carries `params.max_tokens`.
   * @default per request, see `maxTokensFieldFor`
   */
  maxTokensField?: MaxTokensField;
}

// OpenAI's reasoning families (o1, o3, o4-mini, gpt-5…) reject `max_tokens` with a 400
// `unsupported_parameter` wherever they are served (OpenAI, Azure, proxies, our simulator).
const REASONING_MODEL = /^(o\d|gpt-5)/;

/**
 * The output cap's field name for one request.
 * - api.openai.com: always `max_completion_tokens` (`max_tokens` is deprecated, OpenAI API reference, Chat Completions).
 * - Any other base URL: `max_tokens`, because OpenAI-compatible servers read that one: Ollama's
 *   /v1 ignores `max_completion_tokens` entirely (Ollama's `openai/openai.go`), as do older vLLM / llama.cpp
 *   builds, and a server that ignores the cap generates without limit. The exception is an OpenAI
 *   reasoning model name, which only an OpenAI-like server serves and which rejects `max_tokens`.
 * - `maxTokensField` in the options overrides both (e.g. a proxy in front of api.openai.com).
 */
export function maxTokensFieldFor(baseURL: string, model: string): MaxTokensField {
  if (isOpenAIHost(baseURL) || REASONING_MODEL.test(model)) return "max_completion_tokens";
  return "max_tokens";
}

/** Whether a base URL is OpenAI's own API (api.openai.com), not a compatible server. */
export function isOpenAIHost(baseURL: string): boolean {
  try {
    return new URL(baseURL).hostname === "api.openai.com";
  } catch {
    return false; // the client rejects a bad URL on the call itself
  }
}

export class OpenAIProvider implements Provider {
  readonly name = "openai" as const;
  readonly baseURL: string;
  readonly #client: OpenAI;
  readonly #apiKey: string | undefined;
  readonly #maxTokensField: MaxTokensField | undefined;
  readonly #scopes: (model: string) => QuotaScope;

  constructor(options: OpenAIProviderOptions) {
    this.baseURL = options.baseURL ?? OPENAI_DEFAULT_BASE_URL;
    this.#apiKey = options.apiKey;
    this.#maxTokensField = options.maxTokensField;
    this.#scopes = openAIStyleScopes(this.name, this.baseURL, options.apiKey);
    // Every value that the client would otherwise read from process.env is passed explicitly
    // (STYLE: only cli/ reads the environment); `null` switches the env fallback off.
    this.#client = new OpenAI({
      // The client will not start without a key; with none, this placeholder is never sent, because
      // a null default header removes Authorization from every request (openai-node's buildHeaders).
      apiKey: options.apiKey ?? "no-key",
      ...(options.apiKey === undefined ? { defaultHeaders: { Authorization: null } } : {}),
      adminAPIKey: null,
      baseURL: this.baseURL,
      organization: options.organization ?? null,
      project: options.project ?? null,
      webhookSecret: null,
      maxRetries: 0,
      // Node's built-in fetch keeps ~37 KB per request alive until a full GC (see http-fetch.ts).
      fetch: createHttpFetch().fetch,
    });
  }

  /** One quota per endpoint, API key and model: OpenAI counts limits per model. */
  quotaScope(model: string): QuotaScope {
    return this.#scopes(model);
  }

  /** What OpenAI's limiter charges at admission (see `openAIAdmissionTokens`). */
  admissionTokens(request: LlmRequest): number {
    return openAIAdmissionTokens(request);
  }

  async generate(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse> {
    const body = this.#buildBody(request);
    const call = callSignal(options);
    try {
      const { data, response } = await this.#client.chat.completions.create(body, { signal: call.signal, timeout: clientTimeout(options.timeoutMs), maxRetries: 0 }).withResponse();
      const rateLimits = parseRateLimitHeaders((name) => response.headers.get(name));
      const parsed = parseCompletion(data, request);
      parsed.providerId ??= response.headers.get("x-request-id") ?? undefined;
      if (hasRateLimitInfo(rateLimits)) parsed.rateLimits = rateLimits;
      return parsed;
    } catch (err) {
      throw classifyOpenAIError(err, {
        aborted: call.cause,
        timeoutMs: options.timeoutMs,
        maxTokens: request.params.max_tokens,
        secret: this.#apiKey,
      });
    } finally {
      call.dispose();
    }
  }

  async embed(request: EmbedRequest, options: ProviderCallOptions): Promise<EmbedResponse> {
    const call = callSignal(options);
    try {
      const { data, response } = await this.#client.embeddings.create(embeddingsBody(request), { signal: call.signal, timeout: clientTimeout(options.timeoutMs), maxRetries: 0 }).withResponse();
      const parsed: EmbedResponse = parseEmbeddings(data, request);
      const requestId = response.headers.get("x-request-id");
      if (requestId) parsed.providerId = requestId;
      const rateLimits = parseRateLimitHeaders((name) => response.headers.get(name));
      if (hasRateLimitInfo(rateLimits)) parsed.rateLimits = rateLimits;
      return parsed;
    } catch (err) {
      throw classifyOpenAIError(err, { aborted: call.cause, timeoutMs: options.timeoutMs, secret: this.#apiKey });
    } finally {
      call.dispose();
    }
  }

  /** Where the call goes and the body it sends (the key travels in a header, not here). */
  sentRequest(call: SentCall): unknown {
    if (call.kind === "embed") return { url: `${this.baseURL}/embeddings`, body: embeddingsBody(call.request) };
    return { url: `${this.baseURL}/chat/completions`, body: this.#buildBody(call.request) };
  }

  /** The Files and Batches API on the same client (`--batch`). */
  batchApi(): BatchApi {
    return new OpenAIBatchApi(this.#client, this.#apiKey);
  }

  /** The request as one line of a `/v1/chat/completions` batch: the same body `generate` sends. */
  batchLine(request: LlmRequest): BatchLine<LlmResponse> {
    return {
      url: "/v1/chat/completions",
      body: this.#buildBody(request),
      parse: (body) => parseCompletion(body, request),
      error: (status, body) => classifyOpenAIError(lineError(status, body), { timeoutMs: Number.POSITIVE_INFINITY, maxTokens: request.params.max_tokens, secret: this.#apiKey }),
    };
  }

  /** The request as one line of a `/v1/embeddings` batch. */
  embedBatchLine(request: EmbedRequest): BatchLine<EmbedResponse> {
    return {
      url: "/v1/embeddings",
      body: embeddingsBody(request),
      parse: (body) => parseEmbeddings(body, request),
      error: (status, body) => classifyOpenAIError(lineError(status, body), { timeoutMs: Number.POSITIVE_INFINITY, secret: this.#apiKey }),
    };
  }

  /**
   * The request body: a record's own body fields as they are (the server is the judge of what it
   * accepts), then the parameters the caller set. Messages go as they came: content parts, `name`,
   * `tool_calls` and the like are the server's to accept or reject (400 bad_request).
   */
  #buildBody(request: LlmRequest): ChatCompletionCreateParamsNonStreaming {
    const p = request.params;
    const body: ChatCompletionCreateParamsNonStreaming = {
      ...request.extra,
      model: request.model,
      messages: request.messages as ChatCompletionMessageParam[],
    };
    if (p.max_tokens !== undefined) {
      const field = this.#capField(p, request.model);
      // A body that gave both caps has its `max_tokens` in `extra`: under one name, the smaller holds.
      const other = body[field];
      body[field] = typeof other === "number" ? Math.min(other, p.max_tokens) : p.max_tokens;
    }
    if (p.n !== undefined) body.n = p.n;
    if (p.temperature !== undefined) body.temperature = p.temperature;
    if (p.top_p !== undefined) body.top_p = p.top_p;
    if (p.seed !== undefined) body.seed = p.seed;
    if (p.stop !== undefined) body.stop = p.stop;
    if (p.response_format !== undefined) body.response_format = p.response_format;
    return body;
  }

  /**
   * The field the output cap is sent under. The `maxTokensField` option wins. On OpenAI's own API,
   * and for a reasoning model anywhere, a body's own name is kept (OpenAI reads both; reasoning
   * models take only `max_completion_tokens`). On any other server the cap goes as `max_tokens`
   * whatever the body called it: Ollama's /v1 does not read `max_completion_tokens`, so sent under
   * that name the cap would not hold, while the TPM gate and `--max-cost` reserved it.
   */
  #capField(p: LlmParams, model: string): MaxTokensField {
    if (this.#maxTokensField !== undefined) return this.#maxTokensField;
    const chosen = maxTokensFieldFor(this.baseURL, model);
    return chosen === "max_completion_tokens" ? (p.max_tokens_field ?? chosen) : chosen;
  }
}

// The client's own timer stops at the response headers; ours (call-signal) covers the body too.
// Still pass it, bounded, so the client sends `X-Stainless-Timeout` and never uses its 10 min default.
function clientTimeout(timeoutMs: number): number | undefined {
  return Number.isFinite(timeoutMs) && timeoutMs > 0 ? Math.min(timeoutMs, 2 ** 31 - 1) : undefined;
}

/**
 * Checks the 2xx body at run time: an OpenAI-compatible server (or a proxy's HTML page) may send
 * anything, and the SDK's types are not a validation.
 */
function parseCompletion(data: unknown, request: LlmRequest): LlmResponse {
  if (typeof data !== "object" || data === null) {
    return throwInvalid(`expected a JSON chat.completion object, got ${typeof data === "string" ? "text" : String(data)}`, undefined);
  }
  const completion = data as Partial<ChatCompletion>;
  // A body with usage was billed, whatever else is wrong with it: an invalid reply's tokens are
  // counted as billed, not as an unknown bill.
  const billed = typeof completion.usage === "object" && completion.usage !== null ? usageOf(completion.usage) : undefined;
  const usage = billed ?? usageOf(undefined);
  const choice = Array.isArray(completion.choices) ? completion.choices[0] : undefined;
  if (!choice || typeof choice.message !== "object" || choice.message === null) {
    return throwInvalid("response has no choices[0].message", billed);
  }
  const content = choice.message.content;
  const refusal = choice.message.refusal;
  const finishReason = typeof choice.finish_reason === "string" ? choice.finish_reason : "unknown";
  // A filtered or refused completion was still billed: its usage travels with the error so cost adds up.
  if (finishReason === "content_filter") {
    throw new ProviderError({ type: "content_filter", code: "content_filter", usage, message: "the provider's content filter stopped the completion (finish_reason: content_filter)" });
  }
  // A refusal (content null, `refusal` set) is the model's safety policy declining, like the
  // filter: the same prompt will be refused again, and the refusal text is not the output the
  // caller asked for (with Structured Outputs it would fail schema validation later, confusingly).
  if ((content === null || content === undefined || content === "") && typeof refusal === "string" && refusal !== "") {
    throw new ProviderError({ type: "content_filter", code: "refusal", usage, message: `the model refused: ${refusal}` });
  }
  if (content !== null && content !== undefined && typeof content !== "string") {
    return throwInvalid("choices[0].message.content is not a string", billed);
  }
  const choices = completion.choices as unknown[];
  const asked = request.params.n ?? 1;
  // A server that ignores `n` (Ollama's OpenAI-compatible /v1 does) answers one choice: the record
  // asked for more than it got, so it fails rather than pass for complete. Asking again would get
  // the same; the tokens were billed.
  if (choices.length < asked) {
    throw new ProviderError({
      type: "invalid_response",
      code: "missing_choices",
      retriable: false,
      usage,
      message: `the request asked for n: ${asked} choices but the server answered ${choices.length} (some OpenAI-compatible servers, Ollama's /v1 among them, ignore n): send one request per choice, or remove n`,
    });
  }
  const result: LlmResponse = {
    text: content ?? "",
    finishReason,
    usage,
    model: typeof completion.model === "string" && completion.model !== "" ? completion.model : request.model,
  };
  if (typeof completion.id === "string" && completion.id !== "") result.providerId = completion.id;
  const details = detailsOf(choices, billed);
  if (details !== undefined) result.details = details;
  return result;
}

/**
 * What the output's one `output` string cannot hold: the first choice's tool calls, legacy
 * function call and logprobs, and every choice when there are several (`n > 1`). Usage already
 * counts all of them.
 */
function detailsOf(choices: unknown[], billed: Usage | undefined): ReplyDetails | undefined {
  // The common reply (one choice, text only) allocates nothing here.
  const only = choices.length === 1 ? (choices[0] as Partial<ChatCompletion.Choice>) : undefined;
  if (only && only.logprobs == null && !hasToolCalls(only.message) && only.message?.function_call == null) return undefined;
  const first = choiceOf(choices[0], 0, billed);
  let details: ReplyDetails | undefined;
  if (first.tool_calls !== undefined) (details ??= {}).tool_calls = first.tool_calls;
  if (first.function_call !== undefined) (details ??= {}).function_call = first.function_call;
  if (first.logprobs !== undefined) (details ??= {}).logprobs = first.logprobs;
  if (choices.length > 1) (details ??= {}).choices = choices.map((c, i) => (i === 0 ? first : choiceOf(c, i, billed)));
  return details;
}

function hasToolCalls(message: ChatCompletion.Choice["message"] | undefined): boolean {
  return Array.isArray(message?.tool_calls) && message.tool_calls.length > 0;
}

function choiceOf(raw: unknown, i: number, billed: Usage | undefined): ReplyChoice {
  const choice = raw as Partial<ChatCompletion.Choice> | null;
  const message = choice?.message;
  if (typeof message !== "object" || message === null) return throwInvalid(`response has no choices[${i}].message`, billed);
  const content = message.content;
  if (content !== null && content !== undefined && typeof content !== "string") return throwInvalid(`choices[${i}].message.content is not a string`, billed);
  const out: ReplyChoice = {
    index: typeof choice?.index === "number" ? choice.index : i,
    text: content ?? "",
    finish_reason: typeof choice?.finish_reason === "string" ? choice.finish_reason : "unknown",
  };
  if (hasToolCalls(message)) out.tool_calls = message.tool_calls as ToolCall[];
  const call = message.function_call;
  if (call != null) {
    if (typeof call !== "object" || typeof call.name !== "string" || typeof call.arguments !== "string") {
      return throwInvalid(`choices[${i}].message.function_call has no string name and arguments`, billed);
    }
    out.function_call = call as FunctionCall;
  }
  if (choice?.logprobs != null) out.logprobs = choice.logprobs;
  if (typeof message.refusal === "string" && message.refusal !== "") out.refusal = message.refusal;
  return out;
}

/** `usage`: what the body said was billed, when it said (the engine then counts it as billed). */
function throwInvalid(message: string, usage: Usage | undefined): never {
  throw new ProviderError({ type: "invalid_response", message, ...(usage ? { usage } : {}) });
}

/**
 * OpenAI always sends `usage` on non-streamed completions; a compatible server that omits it gets
 * zeros rather than a failed record (retrying would not make it appear).
 */
function usageOf(usage: ChatCompletion["usage"] | undefined): Usage {
  const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : 0);
  return {
    input_tokens: count(usage?.prompt_tokens),
    output_tokens: count(usage?.completion_tokens),
    cached_tokens: count(usage?.prompt_tokens_details?.cached_tokens),
  };
}
