/**
 * `/v1/embeddings` through openai-node: the request body, and the reply checked and turned into
 * vectors. openai-node asks for base64 when the caller names no `encoding_format` and decodes it
 * blindly, which garbles the floats of an OpenAI-compatible server that ignores the field; so the
 * format is always named here, and base64 is decoded only when the server sent text.
 */
import type { CreateEmbeddingResponse, EmbeddingCreateParams } from "openai/resources/embeddings";
import { ProviderError } from "../../errors.js";
import { embedInputCount, type EmbedRequest, type EmbedResponse, type Embedding } from "../../types.js";

/**
 * The body: a record's own fields as they are, then what llmbatch read. Without a format asked for,
 * base64 (a quarter of the JSON text of the floats) is asked for and decoded to floats.
 */
export function embeddingsBody(request: EmbedRequest): EmbeddingCreateParams {
  const body: EmbeddingCreateParams = { ...request.extra, model: request.model, input: request.input, encoding_format: request.encoding_format ?? "base64" };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  return body;
}

/** Checks the 2xx body at run time: a compatible server may send anything. */
export function parseEmbeddings(data: unknown, request: EmbedRequest): Omit<EmbedResponse, "rateLimits"> {
  const reply = (typeof data === "object" && data !== null ? data : {}) as Partial<CreateEmbeddingResponse>;
  if (!Array.isArray(reply.data)) return invalid("expected an embeddings list with data[], got none");
  const expected = embedInputCount(request.input);
  if (reply.data.length !== expected) return invalid(`expected ${expected} embedding${expected === 1 ? "" : "s"}, got ${reply.data.length}`);
  const keepBase64 = request.encoding_format === "base64";
  const embeddings: Embedding[] = new Array<Embedding>(expected);
  reply.data.forEach((item: unknown, i) => {
    const entry = item as { index?: unknown; embedding?: unknown } | null;
    // Items carry their input's index; OpenAI sends them in order, but the index is the contract.
    const index = typeof entry?.index === "number" ? entry.index : i;
    if (!Number.isInteger(index) || index < 0 || index >= expected || embeddings[index] !== undefined) return invalid(`data[${i}].index is ${String(entry?.index)}`);
    embeddings[index] = vectorOf(entry?.embedding, keepBase64, i);
  });
  const prompt = reply.usage?.prompt_tokens;
  return {
    embeddings,
    usage: { input_tokens: typeof prompt === "number" && Number.isFinite(prompt) && prompt >= 0 ? prompt : 0, output_tokens: 0, cached_tokens: 0 },
    model: typeof reply.model === "string" && reply.model !== "" ? reply.model : request.model,
  };
}

function vectorOf(value: unknown, keepBase64: boolean, i: number): Embedding {
  if (typeof value === "string") return keepBase64 ? value : decodeBase64Floats(value, i);
  if (Array.isArray(value) && value.every((x) => typeof x === "number")) return value as number[];
  return invalid(`data[${i}].embedding is neither a list of numbers nor base64 text`);
}

/** OpenAI's base64 embedding: the vector's float32 values, little-endian. */
export function decodeBase64Floats(text: string, i = 0): number[] {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length % 4 !== 0) return invalid(`data[${i}].embedding is ${bytes.length} bytes of base64, not a whole number of float32 values`);
  const out = new Array<number>(bytes.length / 4);
  for (let k = 0; k < out.length; k++) out[k] = bytes.readFloatLE(k * 4);
  return out;
}

function invalid(message: string): never {
  throw new ProviderError({ type: "invalid_response", message: `embeddings response: ${message}` });
}
