/**
 * Pre-request token estimates for the TPM gate, counted with o200k/cl100k (./bpe.ts) the way
 * OpenAI counts `prompt_tokens` for chat: per message 3 tokens of framing + role + content, plus 3 tokens that
 * prime the reply (PROTOCOLS §1.2: system "You are a helpful assistant." + user "Hello!" = 19).
 * The simulator counts with the same rules, so estimate and server count agree.
 */
import { type EncodingName, bpeEncoding } from "./bpe.js";
import type { ChatMessage, LlmRequest } from "../types.js";

/**
 * Output tokens assumed when a request sets no `max_tokens`. OpenAI reserves the model's maximum
 * output in that case (PROTOCOLS §2.2), which is model-specific and often larger; 4096 is a
 * middle ground that keeps a batch moving. Set `max_tokens` to make the reservation exact.
 */
export const DEFAULT_OUTPUT_TOKENS = 4096;

const TOKENS_PER_MESSAGE = 3;
const TOKENS_REPLY_PRIMING = 3;

/**
 * cl100k_base for gpt-4 and gpt-3.5 (incl. dated and -turbo variants); o200k_base for gpt-4o,
 * gpt-4.1, gpt-4.5, o-series, gpt-5, and anything unknown (Ollama models, future OpenAI models):
 * for a rate-limit estimate the newest encoding is the better guess.
 */
export function encodingForModel(model: string): EncodingName {
  // "ft:gpt-3.5-turbo:org::id" and "openai/gpt-4" name the base model after a prefix.
  const base = model.toLowerCase().replace(/^ft:/, "").split("/").pop() ?? "";
  return /^gpt-(3\.5|4)(-|$)/.test(base) ? "cl100k_base" : "o200k_base";
}

export function estimatePromptTokens(model: string, messages: readonly ChatMessage[]): number {
  // Loaded on first use: a run that never estimates (unlimited TPM, `--help`) pays nothing.
  const enc = bpeEncoding(encodingForModel(model));
  let total = TOKENS_REPLY_PRIMING;
  for (const m of messages) {
    total += TOKENS_PER_MESSAGE + enc.count(m.role) + enc.count(m.content);
  }
  return total;
}

export interface RequestTokenEstimate {
  /** Prompt tokens including chat framing. */
  prompt: number;
  /** `params.max_tokens`, or `DEFAULT_OUTPUT_TOKENS` when unset. */
  maxOutput: number;
  /** What the TPM gate reserves: prompt + maxOutput. */
  total: number;
}

export function estimateRequestTokens(req: LlmRequest): RequestTokenEstimate {
  const prompt = estimatePromptTokens(req.model, req.messages);
  const maxOutput = req.params.max_tokens ?? DEFAULT_OUTPUT_TOKENS;
  return { prompt, maxOutput, total: prompt + maxOutput };
}
