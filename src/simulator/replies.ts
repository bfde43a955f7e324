/**
 * What the "model" says. Replies are a pure function of the seed and the request
 * content, so a retried or resumed request gets the same answer and tests can compare
 * runs. Text is pseudo-English whose every piece is one o200k token, which makes the
 * target length and the token count exact by construction.
 */
import { type Rng, hashString, mulberry32, pick, randInt } from "./rng.js";
import { freeformJson, jsonForSchema } from "./schema-values.js";
import { countTextTokensUncached, truncateToTokens } from "./tokens.js";
import { capitalise, replyWords } from "./words.js";

export type ReplyFormat = { kind: "text" } | { kind: "json_object" } | { kind: "json_schema"; schema: Record<string, unknown> };

export interface ReplyRequest {
  seed: number;
  /** Everything that identifies the request's content (model, messages, format). */
  contentKey: string;
  format: ReplyFormat;
  /** Output cap (`max_completion_tokens`, `max_tokens`, `num_predict`); undefined = none. */
  maxTokens: number | undefined;
  /** For `n > 1`: each choice is a different, still deterministic, reply. */
  choiceIndex?: number;
  /** `[[sim:invalid_json:N]]`: return broken JSON for a structured request. */
  invalidJson?: boolean;
  /** `[[sim:echo]]`: a text reply is this text (cut at `maxTokens` like any other). */
  echo?: string;
}

export interface Reply {
  text: string;
  tokens: number;
  finishReason: "stop" | "length";
}

const MIN_REPLY_TOKENS = 20;
const MAX_REPLY_TOKENS = 120;

/** Exactly `count` single-token pieces: sentences of 4–14 words, each closed by ".". */
function pseudoEnglishPieces(rng: Rng, count: number): string[] {
  const pieces: string[] = [];
  while (pieces.length < count) {
    const left = count - pieces.length;
    // Leave no 1-piece remainder: a lone "." or lone word would read oddly.
    let sentence = Math.min(randInt(rng, 5, 15), left);
    if (left - sentence === 1) sentence += 1;
    for (let i = 0; i < sentence - 1; i++) {
      const word = pick(rng, replyWords());
      if (i === 0) pieces.push(pieces.length === 0 ? capitalise(word) : ` ${capitalise(word)}`);
      else pieces.push(` ${word}`);
    }
    pieces.push(".");
  }
  return pieces;
}

function textReply(rng: Rng, maxTokens: number | undefined): Reply {
  const target = randInt(rng, MIN_REPLY_TOKENS, MAX_REPLY_TOKENS);
  const cut = maxTokens !== undefined && maxTokens < target;
  const pieces = pseudoEnglishPieces(rng, target);
  const kept = cut ? pieces.slice(0, Math.max(0, maxTokens)) : pieces;
  // Each piece is one token and o200k's pre-tokenizer never merges across them (" word",
  // "."), so the piece count is the exact token count; tests check it against the tokenizer.
  // Skipping the re-encode halves the simulator's CPU per request.
  return { text: kept.join(""), tokens: kept.length, finishReason: cut ? "length" : "stop" };
}

function fixedReply(text: string, maxTokens: number | undefined): Reply {
  const tokens = countTextTokensUncached(text);
  if (maxTokens === undefined || tokens <= maxTokens) return { text, tokens, finishReason: "stop" };
  const cut = truncateToTokens(text, maxTokens);
  return { text: cut, tokens: countTextTokensUncached(cut), finishReason: "length" };
}

/** A prefix of an object is never valid JSON; guard the odd scalar root anyway. */
function breakJson(json: string): string {
  const prefix = json.slice(0, Math.max(1, Math.floor(json.length / 2)));
  try {
    JSON.parse(prefix);
    return `${prefix},`;
  } catch {
    return prefix;
  }
}

export function makeReply(request: ReplyRequest): Reply {
  const rng = mulberry32(hashString(request.contentKey, request.seed) + (request.choiceIndex ?? 0) * 7919);
  const { format, maxTokens } = request;
  if (format.kind === "text" && request.echo !== undefined) return fixedReply(request.echo, maxTokens);
  if (format.kind === "text") return textReply(rng, maxTokens);

  const json = format.kind === "json_schema" ? jsonForSchema(format.schema, rng) : freeformJson(rng);
  if (request.invalidJson) {
    const text = breakJson(json);
    return { text, tokens: countTextTokensUncached(text), finishReason: "stop" };
  }
  const tokens = countTextTokensUncached(json);
  // A real model cut off by max tokens stops mid-object; keep that (it is what clients must handle).
  if (maxTokens !== undefined && tokens > maxTokens) {
    const text = truncateToTokens(json, maxTokens);
    return { text, tokens: countTextTokensUncached(text), finishReason: "length" };
  }
  return { text: json, tokens, finishReason: "stop" };
}
