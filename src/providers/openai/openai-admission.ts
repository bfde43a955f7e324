/**
 * What OpenAI's rate limiter charges a chat request at admission. Its guide says the limit is
 * counted from "the estimated number of tokens based on the character count of your request" and
 * `max_tokens`: an estimate from characters plus the output cap of every choice, not the
 * tokenizer's count, and settled on the usage later. Its exact rule is not published; a character
 * per quarter token is the rule of thumb OpenAI gives (https://platform.openai.com/tokenizer), and
 * the quota reserves the larger of this and the tokenizer's estimate, so either way it covers the charge.
 */
import { DEFAULT_OUTPUT_TOKENS } from "../../tokens/token-estimate.js";
import type { ChatMessage, LlmRequest } from "../../types.js";

const CHARS_PER_TOKEN = 4;

export function openAIAdmissionTokens(request: LlmRequest): number {
  let chars = 0;
  for (const m of request.messages) chars += m.role.length + contentChars(m.content);
  const extra = request.extra;
  if (extra?.tools != null) chars += JSON.stringify(extra.tools).length;
  if (extra?.functions != null) chars += JSON.stringify(extra.functions).length;
  const format = request.params.response_format;
  if (format?.type === "json_schema") chars += JSON.stringify(format.json_schema).length;
  const output = (request.params.max_tokens ?? DEFAULT_OUTPUT_TOKENS) * (request.params.n ?? 1);
  return Math.ceil(chars / CHARS_PER_TOKEN) + output;
}

function contentChars(content: ChatMessage["content"]): number {
  if (typeof content === "string") return content.length;
  let n = 0;
  for (const part of content ?? []) if (part.type === "text" && typeof part.text === "string") n += part.text.length;
  return n;
}
