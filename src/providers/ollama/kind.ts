/** The `ollama` kind: Ollama's native API (`/api/chat`, `/api/embed`) through the official `ollama` client. */
import { encodingForModel } from "../../tokens/token-estimate.js";
import { classifyOllamaError } from "./classify-ollama.js";
import { DEFAULT_OLLAMA_HOST, OllamaProvider } from "./ollama-provider.js";
import { parseRetryAfter } from "../rate-limit-headers.js";
import type { ProviderKind } from "../registry.js";

export const ollamaKind: ProviderKind = {
  name: "ollama",
  defaultBaseUrl: DEFAULT_OLLAMA_HOST,
  env: { baseUrl: "OLLAMA_HOST" },
  checkBaseUrl: (baseUrl) => (/\/v1\/?$/.test(new URL(baseUrl).pathname) ? ollamaV1Message(baseUrl) : undefined),
  simulated: (simulatorUrl) => simulatorUrl,
  create: (s) => new OllamaProvider({ host: s.baseUrl }),
  createChecking: () => new OllamaProvider(),
  classifyError: (err, context) => classifyOllamaError(err, context),
  // A local Ollama sends no rate-limit headers; its cloud sends `retry-after` on a 429.
  readRateLimits: (header) => {
    const retryAfterMs = parseRetryAfter(header);
    return retryAfterMs === undefined ? {} : { retryAfterMs };
  },
  encoding: encodingForModel,
  // Structured output through `format` (a JSON Schema); no Batch API.
  capabilities: { chat: true, embeddings: true, structuredOutput: true, batch: false, serverQueue: true },
};

/**
 * The ollama provider speaks Ollama's native API (`/api/chat` under the host); under `…/v1` every
 * request is a 404 that reads like a model that is not pulled. `/v1` is Ollama's OpenAI-compatible
 * API, which the openai provider speaks.
 */
function ollamaV1Message(baseUrl: string): string {
  const host = baseUrl.replace(/\/v1\/?$/, "");
  return (
    `the Ollama host ${baseUrl} ends in /v1, which is Ollama's OpenAI-compatible API, not the native one the ollama provider uses: ` +
    `drop the /v1 (${host}), or keep it and name the model openai:<model>`
  );
}
