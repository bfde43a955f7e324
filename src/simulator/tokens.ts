/**
 * Token counting with o200k_base, the encoding of gpt-4o, gpt-4.1, the o-series and gpt-5. The
 * client estimates with the same encoder (src/tokens/bpe.ts) and the same chat overhead, so the simulator's `prompt_tokens` and the client's estimate agree
 * exactly (the example in OpenAI's API reference for Chat Completions: system "You are a helpful
 * assistant." + user "Hello!" = 19).
 */
import { bpeEncoding } from "../tokens/bpe.js";
import { IMAGE_PART_TOKENS, LOW_DETAIL_IMAGE_TOKENS, promptFieldTokens, type PromptFields } from "../tokens/token-estimate.js";

// Loaded on first use, and shared with the client's estimator in a process that runs both.
// Special-token text in user content is just text to the API, never a control token, and the
// encoder counts it as such.
const o200k = () => bpeEncoding("o200k_base");

/** ChatML framing: <|im_start|>role<|im_sep|>content<|im_end|> costs 3 tokens besides role and content. */
const PER_MESSAGE_OVERHEAD = 3;
/** Every reply is primed with <|im_start|>assistant<|im_sep|>. */
const REPLY_PRIMING = 3;

/** Batches often repeat the same system prompt; caching its count is the cheap win. */
const CACHE_LIMIT = 4096;
const MAX_CACHED_LENGTH = 20_000;
const cache = new Map<string, number>();

export function countTextTokens(text: string): number {
  if (text.length === 0) return 0;
  const cacheable = text.length <= MAX_CACHED_LENGTH;
  if (cacheable) {
    const hit = cache.get(text);
    if (hit !== undefined) return hit;
  }
  const count = o200k().count(text);
  if (cacheable) {
    // Crude bound rather than an LRU: clearing is O(1) amortised and the cache refills fast.
    if (cache.size >= CACHE_LIMIT) cache.clear();
    cache.set(text, count);
  }
  return count;
}

/** For one-off text such as generated replies, which would only evict useful cache entries. */
export function countTextTokensUncached(text: string): number {
  return text.length === 0 ? 0 : o200k().count(text);
}

export interface CountableMessage {
  role: string;
  /** The text: a string, or the text parts joined (where directives are read from). */
  content: string;
  /** A content-part array's text parts, each counted on its own. */
  textParts?: string[];
  /** A content-part array's image parts, by whether they asked for `detail: "low"`. */
  images?: { low: number; other: number };
  name?: string;
  /** The JSON text of an assistant message's `tool_calls`. */
  toolCalls?: string;
  /** The JSON text of an assistant message's legacy `function_call`. */
  functionCall?: string;
}

/**
 * Prompt tokens of a chat request, as OpenAI reports them in `usage.prompt_tokens`. Images cost a
 * fixed figure each, `tool_calls` and `function_call` their JSON text, and the request's `tools`,
 * `functions`, `json_schema` and `prediction` what the client's `promptFieldTokens` says: OpenAI's
 * own rendering of them is not published, and these are the client estimator's rules too, so both
 * agree.
 */
export function countChatTokens(messages: readonly CountableMessage[], fields: PromptFields = {}): number {
  let total = REPLY_PRIMING;
  for (const message of messages) {
    total += PER_MESSAGE_OVERHEAD + countTextTokens(message.role);
    if (message.textParts) for (const part of message.textParts) total += countTextTokens(part);
    else total += countTextTokens(message.content);
    if (message.images) total += message.images.low * LOW_DETAIL_IMAGE_TOKENS + message.images.other * IMAGE_PART_TOKENS;
    if (message.name) total += countTextTokens(message.name) + 1;
    if (message.toolCalls) total += countTextTokens(message.toolCalls);
    if (message.functionCall) total += countTextTokens(message.functionCall);
  }
  return total + promptFieldTokens(countTextTokens, fields);
}

/** A reply's text as its tokens' texts (for `logprobs`). */
export function splitTokens(text: string): string[] {
  return o200k()
    .encode(text)
    .map((token) => o200k().decode([token]));
}

/** The longest prefix of `text` that is at most `maxTokens` tokens. */
export function truncateToTokens(text: string, maxTokens: number): string {
  if (maxTokens <= 0) return "";
  const tokens = o200k().encode(text);
  if (tokens.length <= maxTokens) return text;
  // Decoding a prefix can split a multi-byte character; drop the replacement char it leaves.
  return o200k()
    .decode(tokens.slice(0, maxTokens))
    .replace(/\uFFFD+$/, "");
}
