/**
 * Pre-request token estimates for the TPM gate, counted with o200k/cl100k (./bpe.ts) the way
 * OpenAI counts `prompt_tokens` for chat: per message 3 tokens of framing + role + content, plus 3 tokens that
 * prime the reply (OpenAI's Chat Completions example: system "You are a helpful assistant." + user "Hello!" = 19).
 * The simulator counts with the same rules, so estimate and server count agree.
 */
import { type BpeEncoding, type EncodingName, bpeEncoding } from "./bpe.js";
import type { ChatMessage, EmbedInput, EmbedRequest, LlmRequest } from "../types.js";

/**
 * Output tokens assumed when a request sets no `max_tokens`. OpenAI reserves the model's maximum
 * output in that case (OpenAI's rate-limits guide), which is model-specific and often larger; 4096 is a
 * middle ground that keeps a batch moving. Set `max_tokens` to make the reservation exact.
 */
export const DEFAULT_OUTPUT_TOKENS = 4096;

const TOKENS_PER_MESSAGE = 3;
const TOKENS_REPLY_PRIMING = 3;

/**
 * cl100k_base for gpt-4 and gpt-3.5 (incl. dated and -turbo variants) and OpenAI's embedding
 * models (text-embedding-3-*, ada-002); o200k_base for gpt-4o, gpt-4.1, gpt-4.5, o-series, gpt-5,
 * and anything unknown (Ollama models, future OpenAI models): for a rate-limit estimate the newest
 * encoding is the better guess.
 */
export function encodingForModel(model: string): EncodingName {
  // "ft:gpt-3.5-turbo:org::id" and "openai/gpt-4" name the base model after a prefix.
  const base = model.toLowerCase().replace(/^ft:/, "").split("/").pop() ?? "";
  return /^(gpt-(3\.5|4)(-|$)|text-embedding-)/.test(base) ? "cl100k_base" : "o200k_base";
}

/**
 * A rough figure per image part: OpenAI's charge for a 1024×1024 image at high detail (85 + 4 tiles
 * × 170), or 85 with `detail: "low"`. The real figure depends on the image's size and the model;
 * the gate reconciles with the usage the provider reports. Audio and file parts are not counted.
 */
export const IMAGE_PART_TOKENS = 765;
export const LOW_DETAIL_IMAGE_TOKENS = 85;

/**
 * Text and text parts as OpenAI counts them; a message's `name` costs its tokens plus one, and the
 * JSON text of `tool_calls` and `function_call` (in messages) and of `tools` (the request's) stands
 * in for OpenAI's own, undocumented rendering of them.
 */
export function estimatePromptTokens(model: string, messages: readonly ChatMessage[], tools?: unknown): number {
  // Loaded on first use: a run that never estimates (unlimited TPM, `--help`) pays nothing.
  const enc = bpeEncoding(encodingForModel(model));
  return messagesTokens(enc, messages) + promptFieldTokens((text) => enc.count(text), { tools });
}

function messagesTokens(enc: BpeEncoding, messages: readonly ChatMessage[]): number {
  let total = TOKENS_REPLY_PRIMING;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + enc.count(m.role) + contentTokens(enc, m.content);
    if (typeof m.name === "string" && m.name !== "") total += enc.count(m.name) + 1;
    if (m.tool_calls != null) total += enc.count(JSON.stringify(m.tool_calls));
    if (m.function_call != null) total += enc.count(JSON.stringify(m.function_call));
  }
  return total;
}

/** The fields of a request besides its messages that the model reads as prompt. */
export interface PromptFields {
  tools?: unknown;
  /** The legacy `functions`, which OpenAI still accepts in place of `tools`. */
  functions?: unknown;
  /** Structured Outputs: a `json_schema` format's schema is given to the model. */
  response_format?: unknown;
  /** Predicted Outputs (`{type: "content", content}`): the predicted text is read with the prompt. */
  prediction?: unknown;
}

/**
 * Tokens of the request fields the model reads besides its messages: the JSON text of `tools`,
 * `functions` and a `json_schema` format's `json_schema`, and the text of `prediction.content`.
 * OpenAI's own rendering of them is not published; the simulator counts with this same function,
 * so the client's estimate and the server's `prompt_tokens` agree.
 */
export function promptFieldTokens(count: (text: string) => number, fields: PromptFields): number {
  let total = 0;
  if (fields.tools != null) total += count(JSON.stringify(fields.tools));
  if (fields.functions != null) total += count(JSON.stringify(fields.functions));
  const format = fields.response_format;
  if (isObject(format) && format.type === "json_schema" && format.json_schema != null) total += count(JSON.stringify(format.json_schema));
  const predicted = isObject(fields.prediction) ? fields.prediction.content : undefined;
  if (typeof predicted === "string") total += count(predicted);
  else if (Array.isArray(predicted)) {
    for (const part of predicted) if (isObject(part) && part.type === "text" && typeof part.text === "string") total += count(part.text);
  }
  return total;
}

/** A format's tokens by encoding and object: a schema step sends the same `response_format` object with every record (never changed once built), so its schema is counted once, not per call. */
const FORMAT_TOKENS: Record<EncodingName, WeakMap<object, number>> = { o200k_base: new WeakMap(), cl100k_base: new WeakMap() };

function formatTokens(name: EncodingName, count: (text: string) => number, format: LlmRequest["params"]["response_format"]): number {
  if (format === undefined || format.type !== "json_schema") return 0;
  const cache = FORMAT_TOKENS[name];
  let tokens = cache.get(format);
  if (tokens === undefined) cache.set(format, (tokens = promptFieldTokens(count, { response_format: format })));
  return tokens;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function contentTokens(enc: BpeEncoding, content: ChatMessage["content"]): number {
  if (typeof content === "string") return enc.count(content);
  let total = 0;
  for (const part of content ?? []) {
    if (part.type === "text" && typeof part.text === "string") total += enc.count(part.text);
    else if (part.type === "image_url") total += part.image_url?.detail === "low" ? LOW_DETAIL_IMAGE_TOKENS : IMAGE_PART_TOKENS;
  }
  return total;
}

export interface RequestTokenEstimate {
  /** Prompt tokens including chat framing. */
  prompt: number;
  /** `params.max_tokens` (or `DEFAULT_OUTPUT_TOKENS` when unset) for each of the `n` choices. */
  maxOutput: number;
  /** What the TPM gate reserves: prompt + maxOutput. */
  total: number;
}

/** `encoding`: the provider kind's tokenizer for the model (see the provider registry). @default encodingForModel(req.model) */
export function estimateRequestTokens(req: LlmRequest, encoding: EncodingName = encodingForModel(req.model)): RequestTokenEstimate {
  const name = encoding;
  const enc = bpeEncoding(name);
  const count = (text: string) => enc.count(text);
  const extra = req.extra;
  let prompt = messagesTokens(enc, req.messages) + formatTokens(name, count, req.params.response_format);
  if (extra !== undefined) prompt += promptFieldTokens(count, { tools: extra.tools, functions: extra.functions, prediction: extra.prediction });
  // Every choice may write up to the cap, and all of them are billed.
  const maxOutput = (req.params.max_tokens ?? DEFAULT_OUTPUT_TOKENS) * (req.params.n ?? 1);
  return { prompt, maxOutput, total: prompt + maxOutput };
}

/**
 * An embeddings request reserves its input tokens only: an embedding writes no output tokens, and
 * OpenAI counts the input alone against TPM. Texts are counted as they are (no chat framing); a
 * token array is its own length.
 */
export function estimateEmbedTokens(req: Pick<EmbedRequest, "model" | "input">): RequestTokenEstimate {
  const prompt = embedInputTokens(req.model, req.input);
  return { prompt, maxOutput: 0, total: prompt };
}

/** The tokens of an embeddings input, as OpenAI counts `prompt_tokens` (the simulator counts the same way). */
export function embedInputTokens(model: string, input: EmbedInput, encoding: EncodingName = encodingForModel(model)): number {
  const enc = bpeEncoding(encoding);
  if (typeof input === "string") return enc.count(input);
  let total = 0;
  for (const item of input) {
    if (typeof item === "number") return input.length; // one token array
    total += typeof item === "string" ? enc.count(item) : item.length;
  }
  return total;
}
