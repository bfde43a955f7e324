/**
 * The parts of a reply beyond its text, shared by the OpenAI and Ollama routes: a call of an
 * offered function (arguments that conform to its `parameters` schema) and token log
 * probabilities. Deterministic from the seed and the request content, like the text replies.
 */
import { type Rng, hashString, mulberry32, pick } from "./rng.js";
import { jsonForSchema } from "./schema-values.js";
import { countTextTokensUncached, splitTokens, truncateToTokens } from "./tokens.js";
import { replyWords } from "./words.js";

export interface ToolCallReply {
  name: string;
  /** JSON text, as OpenAI sends `function.arguments`; cut off (not valid JSON) at the token limit. */
  arguments: string;
  tokens: number;
  finishReason: "tool_calls" | "length";
}

/** A call of `tool`; choice `index` of several gets other (still conforming) arguments. */
export function makeToolCall(seed: number, contentKey: string, tool: { name: string; parameters: Record<string, unknown> | undefined }, index: number, maxTokens: number | undefined): ToolCallReply {
  const rng = mulberry32(hashString(`${contentKey}\u0000tool`, seed) + index * 7919);
  const args = tool.parameters ? jsonForSchema(tool.parameters, rng) : "{}";
  const tokens = countTextTokensUncached(tool.name) + countTextTokensUncached(args);
  if (maxTokens !== undefined && tokens > maxTokens) {
    const cut = truncateToTokens(args, Math.max(0, maxTokens - countTextTokensUncached(tool.name)));
    return { name: tool.name, arguments: cut, tokens: maxTokens, finishReason: "length" };
  }
  return { name: tool.name, arguments: args, tokens, finishReason: "tool_calls" };
}

export interface TokenLogprob {
  token: string;
  logprob: number;
  bytes: number[];
}

/** OpenAI's `logprobs.content` entries for a text: one per token, with `top` alternatives each. */
export function tokenLogprobs(seed: number, text: string, top: number): (TokenLogprob & { top_logprobs: TokenLogprob[] })[] {
  const rng = mulberry32(hashString(text, seed) ^ 0x5bd1e995);
  return splitTokens(text).map((token) => {
    const logprob = -round(rng() * 0.5);
    const alternatives: TokenLogprob[] = [];
    for (let k = 0; k < top; k++) {
      const alt = k === 0 ? token : alternative(rng, token);
      alternatives.push(entry(alt, k === 0 ? logprob : -round(1 + k + rng())));
    }
    return { ...entry(token, logprob), top_logprobs: alternatives };
  });
}

function alternative(rng: Rng, token: string): string {
  const word = ` ${pick(rng, replyWords())}`;
  return word === token ? `${word}s` : word;
}

function entry(token: string, logprob: number): TokenLogprob {
  return { token, logprob, bytes: [...Buffer.from(token, "utf8")] };
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
}
