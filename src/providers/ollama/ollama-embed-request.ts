/**
 * An `EmbedRequest` as Ollama's `/api/embed` body (ollama-js `EmbedRequest`), or why Ollama cannot
 * take it. `/api/embed` embeds text (a string or a list) into float vectors and can shorten them
 * (`dimensions`); Ollama's own fields (`truncate`, `keep_alive`, `options`) pass through. Anything
 * else a record's own body asks for is refused by name, as for chat requests.
 */
import type { EmbedRequest as OllamaEmbedRequest } from "ollama";
import type { EmbedRequest } from "../../types.js";

const OLLAMA_FIELDS = new Set(["truncate", "keep_alive", "options"]);

export function toOllamaEmbed(request: EmbedRequest): OllamaEmbedRequest | string {
  const { input } = request;
  if (typeof input !== "string" && input.some((item) => typeof item !== "string")) {
    return "Ollama embeds text only, but the line's input is token ids; give the text instead";
  }
  if (request.encoding_format === "base64") {
    return 'Ollama\'s /api/embed answers with floats only, so it has no equivalent of encoding_format: "base64"; remove it to run the line on Ollama';
  }
  const body: OllamaEmbedRequest = { model: request.model, input: input as string | string[] };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  const unmapped: string[] = [];
  for (const [key, value] of Object.entries(request.extra ?? {})) {
    if (value === null) continue; // unset, as in OpenAI's API
    if (OLLAMA_FIELDS.has(key)) (body as unknown as Record<string, unknown>)[key] = value;
    else unmapped.push(`${key}: ${JSON.stringify(value)?.slice(0, 60) ?? String(value)}`);
  }
  if (unmapped.length > 0) {
    return `Ollama has no equivalent of ${unmapped.join(", ")} in the line's request; remove ${unmapped.length === 1 ? "it" : "them"} to run the line on Ollama`;
  }
  return body;
}
