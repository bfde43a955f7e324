/**
 * What both embeddings routes share: the input as the list of things to embed, token counts (with
 * the encoder the client's estimate uses, so usage and estimate agree), and deterministic vectors.
 *
 * A vector is seeded by the model and the input (the same text always gets the same vector), unit
 * length, and float32 like the real ones. A shortened vector is the full one's first `dimensions`
 * values scaled back to unit length, which is what OpenAI documents for the text-embedding-3
 * models and what Ollama does for any model.
 */
import { bpeEncoding } from "../tokens/bpe.js";
import { encodingForModel } from "../tokens/token-estimate.js";
import { hashString, mulberry32 } from "./rng.js";

/** One thing to embed: a text, or token ids. */
export type EmbedItem = string | readonly number[];

/** Tokens of one item, as OpenAI counts `prompt_tokens` for embeddings (no framing). */
export function itemTokens(model: string, item: EmbedItem): number {
  return typeof item === "string" ? bpeEncoding(encodingForModel(model)).count(item) : item.length;
}

/** The text directives are read from: the first text item that carries one, else the first text. */
export function directiveText(items: readonly EmbedItem[]): string {
  const texts = items.filter((i): i is string => typeof i === "string");
  return texts.find((t) => t.includes("[[sim:")) ?? texts[0] ?? "";
}

/** The unit-length vector of `item`, `full` values long, cut to `dimensions` (and renormalised) when that is shorter. */
export function embeddingVector(seed: number, model: string, item: EmbedItem, full: number, dimensions?: number): Float32Array {
  const key = typeof item === "string" ? item : `tokens:${item.join(",")}`;
  const rng = mulberry32(hashString(`${model}\u0000${key}`, seed));
  const values = new Float32Array(full);
  for (let i = 0; i < full; i++) values[i] = rng() * 2 - 1;
  normalise(values);
  if (dimensions === undefined || dimensions >= full) return values;
  const short = values.slice(0, dimensions);
  normalise(short);
  return short;
}

function normalise(v: Float32Array): void {
  let sum = 0;
  for (const x of v) sum += x * x;
  const scale = 1 / Math.max(Math.sqrt(sum), 1e-12);
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * scale;
}

/** OpenAI's `encoding_format: "base64"`: the float32 values, little-endian, as base64 text. */
export function base64Floats(v: Float32Array): string {
  const bytes = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) bytes.writeFloatLE(v[i]!, i * 4);
  return bytes.toString("base64");
}
