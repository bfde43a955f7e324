/**
 * A provider kind as a program outside llmbatch would write its own: a tiny OpenAI-compatible
 * backend on the official `openai` client, using nothing but llmbatch's public entry point. It
 * proves a kind can be added without touching llmbatch's own files.
 */
import OpenAI, { APIError } from "openai";
import { ProviderError, type ErrorType, type LlmRequest, type LlmResponse, type Provider, type ProviderCallOptions, type ProviderKind, type RateLimitInfo } from "../../src/index.js";

export const TINY = "tinyllm";

function readRateLimits(header: (name: string) => string | null): RateLimitInfo {
  const num = (name: string) => {
    const v = header(name);
    return v === null || !Number.isFinite(Number(v)) ? undefined : Number(v);
  };
  const info: RateLimitInfo = {};
  const pairs: [keyof RateLimitInfo, number | undefined][] = [
    ["limitRequests", num("x-ratelimit-limit-requests")],
    ["remainingRequests", num("x-ratelimit-remaining-requests")],
    ["limitTokens", num("x-ratelimit-limit-tokens")],
    ["remainingTokens", num("x-ratelimit-remaining-tokens")],
  ];
  for (const [key, value] of pairs) if (value !== undefined) info[key] = value;
  return info;
}

function classifyError(err: unknown): ProviderError {
  if (err instanceof ProviderError) return err;
  if (err instanceof APIError && err.status !== undefined) {
    const s = err.status;
    const type: ErrorType = s === 429 ? "rate_limit" : s === 401 ? "auth" : s === 404 ? "model_not_found" : s >= 500 ? "server" : "bad_request";
    return new ProviderError({ type, status: s, message: err.message, cause: err });
  }
  return new ProviderError({ type: "network", message: err instanceof Error ? err.message : String(err), cause: err });
}

class TinyProvider implements Provider {
  readonly name = TINY;
  readonly #client: OpenAI;

  constructor(baseURL: string, apiKey: string | undefined) {
    this.#client = new OpenAI({ baseURL, apiKey: apiKey ?? "none", maxRetries: 0 });
  }

  async generate(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse> {
    try {
      const body = { model: request.model, messages: request.messages as OpenAI.ChatCompletionMessageParam[], max_tokens: request.params.max_tokens ?? null };
      const { data, response } = await this.#client.chat.completions.create(body, { signal: options.signal, timeout: options.timeoutMs }).withResponse();
      const choice = data.choices[0];
      const u = data.usage;
      return {
        text: choice?.message.content ?? "",
        finishReason: choice?.finish_reason ?? "stop",
        model: data.model,
        usage: { input_tokens: u?.prompt_tokens ?? 0, output_tokens: u?.completion_tokens ?? 0, cached_tokens: u?.prompt_tokens_details?.cached_tokens ?? 0 },
        providerId: data.id,
        rateLimits: readRateLimits((name) => response.headers.get(name)),
      };
    } catch (err) {
      throw classifyError(err);
    }
  }
}

export const tinyKind: ProviderKind = {
  name: TINY,
  defaultBaseUrl: "http://127.0.0.1:9/v1",
  create: (s) => new TinyProvider(s.baseUrl ?? tinyKind.defaultBaseUrl, s.apiKey),
  classifyError,
  readRateLimits,
  // Its server counts with the older encoding, whatever the model's name says.
  encoding: () => "cl100k_base",
  capabilities: { chat: true, embeddings: false, structuredOutput: false, batch: false, serverQueue: false },
};
