/**
 * Ollama's native `/api/chat` (non-streaming) through the official `ollama` client.
 *
 * ollama-js takes no AbortSignal on non-streamed calls and has no timeout (ollama-js `src/browser.ts`); the only
 * way in is the `fetch` given to the constructor. That fetch is per client, so each call gets its
 * own lightweight `Ollama` instance whose fetch closes over that call's signal. Concurrency-safe by
 * construction, unlike a shared client with a "current signal" field, and simpler to follow than
 * AsyncLocalStorage. The constructor only formats the host string: measured at ~1.5 µs per
 * instance on Node 20 (100 000 constructions), noise next to one HTTP round trip.
 */
import type { ChatResponse, EmbedResponse as OllamaEmbedResponse, Ollama } from "ollama";
import { ProviderError } from "../../errors.js";
import { lazyModule } from "../../lazy-module.js";
import {
  embedInputCount,
  type EmbedRequest,
  type EmbedResponse,
  type LlmRequest,
  type LlmResponse,
  type Provider,
  type ProviderCallOptions,
  type QuotaScope,
  type SentCall,
  type ReplyDetails,
  type ToolCall,
} from "../../types.js";
import { callSignal } from "../call-signal.js";
import { toOllamaChat } from "./ollama-chat-request.js";
import { toOllamaEmbed } from "./ollama-embed-request.js";
import { classifyOllamaError } from "./classify-ollama.js";
import { createHttpFetch } from "../http-fetch.js";
import { parseRetryAfter } from "../rate-limit-headers.js";
import { serverScope } from "../quota-scope.js";

export interface OllamaProviderOptions {
  /** @default "http://127.0.0.1:11434" (ollama-js's default) */
  host?: string;
}

/** ollama-js's own default host, used when none is given. */
export const DEFAULT_OLLAMA_HOST = "http://127.0.0.1:11434";

/** ollama-js is loaded with the first Ollama provider: a run against OpenAI never pays for it. */
const ollamaJs = lazyModule<typeof import("ollama")>("ollama");

export class OllamaProvider implements Provider {
  readonly name = "ollama" as const;
  readonly host: string | undefined;
  // Node's built-in fetch keeps ~37 KB per request alive until a full GC (see http-fetch.ts).
  readonly #fetch = createHttpFetch().fetch;
  readonly #Ollama = ollamaJs().Ollama;
  #scope: QuotaScope | undefined;

  constructor(options: OllamaProviderOptions = {}) {
    this.host = options.host;
  }

  /** One quota for the whole server: Ollama limits by its slots, not per model. */
  quotaScope(): QuotaScope {
    return (this.#scope ??= serverScope(this.name, this.host ?? DEFAULT_OLLAMA_HOST));
  }

  /** Where the call goes and the body it sends. */
  sentRequest(call: SentCall): unknown {
    const host = this.host ?? DEFAULT_OLLAMA_HOST;
    if (call.kind === "embed") return { url: `${host}/api/embed`, body: toOllamaEmbed(call.request) };
    return { url: `${host}/api/chat`, body: toOllamaChat(call.request) };
  }

  check(request: LlmRequest): string | undefined {
    const body = toOllamaChat(request);
    return typeof body === "string" ? body : undefined;
  }

  async generate(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse> {
    const body = toOllamaChat(request);
    if (typeof body === "string") throw new ProviderError({ type: "bad_request", message: body, retriable: false });
    return this.#call(options, async (client) => parseChatResponse(await client.chat({ ...body, stream: false }), request.model));
  }

  checkEmbed(request: EmbedRequest): string | undefined {
    const body = toOllamaEmbed(request);
    return typeof body === "string" ? body : undefined;
  }

  async embed(request: EmbedRequest, options: ProviderCallOptions): Promise<EmbedResponse> {
    const body = toOllamaEmbed(request);
    if (typeof body === "string") throw new ProviderError({ type: "bad_request", message: body, retriable: false });
    const expected = embedInputCount(request.input);
    return this.#call(options, async (client) => parseEmbedResponse(await client.embed(body), expected, request.model));
  }

  /** One call on a client of its own, whose fetch carries this call's signal (see the module's comment). */
  async #call<R>(options: ProviderCallOptions, send: (client: Ollama) => Promise<R>): Promise<R> {
    const call = callSignal(options);
    let retryAfterMs: number | undefined;
    const fetchForCall: typeof fetch = async (input, init) => {
      const response = await this.#fetch(input, { ...init, signal: call.signal });
      if (response.ok) return response;
      // ResponseError does not carry headers, so read the wait hint here.
      retryAfterMs = parseRetryAfter((name) => response.headers.get(name));
      return asJsonError(response);
    };
    const client: Ollama = new this.#Ollama({ host: this.host, fetch: fetchForCall });
    try {
      return await send(client);
    } catch (err) {
      throw classifyOllamaError(err, { aborted: call.cause, timeoutMs: options.timeoutMs, retryAfterMs });
    } finally {
      call.dispose();
    }
  }
}

/**
 * ollama-js 0.6.4 `console.log`s ("Getting text from response", "Failed to parse error response as
 * JSON") when an error body is not JSON, e.g. a proxy's 502 page. That would land on stdout, which
 * is our data channel; so every error body reaches the client as `{"error": "<text>"}` JSON, with
 * its status kept.
 */
async function asJsonError(response: Response): Promise<Response> {
  const text = await response.text();
  let message = text.trim();
  try {
    const body: unknown = JSON.parse(text);
    const inner = typeof body === "object" && body !== null ? (body as { error?: unknown }).error : undefined;
    if (typeof inner === "string") message = inner;
  } catch {
    // Not JSON: the text itself is the message (already in `message`).
  }
  if (message === "") message = `${response.status} ${response.statusText}`.trim();
  return new Response(JSON.stringify({ error: message }), {
    status: response.status,
    statusText: response.statusText,
    headers: { "content-type": "application/json" },
  });
}

/** Checks the 2xx body at run time: the client returns whatever JSON the server sent. */
function parseChatResponse(data: ChatResponse | undefined, requestedModel: string): LlmResponse {
  const response = data as Partial<ChatResponse> | undefined;
  const content = response?.message?.content;
  if (typeof content !== "string") {
    throw new ProviderError({ type: "invalid_response", message: "Ollama response has no message.content string" });
  }
  // The metric fields are `omitempty`: a cached prompt may leave out prompt_eval_count (Ollama's `api/types.go`).
  const count = (n: unknown): number => (typeof n === "number" && Number.isFinite(n) && n >= 0 ? n : 0);
  const doneReason = response?.done_reason;
  const details = detailsOf(response);
  // Ollama's own OpenAI layer reports a reply that called tools as `tool_calls`, as OpenAI does.
  const stopped = typeof doneReason === "string" && doneReason !== "" ? doneReason : response?.done === true ? "stop" : "unknown";
  return {
    text: content,
    finishReason: details?.tool_calls !== undefined && stopped === "stop" ? "tool_calls" : stopped,
    ...(details !== undefined ? { details } : {}),
    usage: { input_tokens: count(response?.prompt_eval_count), output_tokens: count(response?.eval_count), cached_tokens: 0 },
    model: typeof response?.model === "string" && response.model !== "" ? response.model : requestedModel,
    // Nanoseconds; it covers the scheduler queue (and a model load), the signal that the server is full.
    ...(typeof response?.load_duration === "number" && response.load_duration >= 0 ? { serverQueueMs: response.load_duration / 1e6 } : {}),
  };
}

/**
 * Checks `/api/embed`'s 2xx body. An empty text gives no vector at all (Ollama treats it as a model
 * load), which is then a reply without the embedding asked for.
 */
function parseEmbedResponse(data: OllamaEmbedResponse | undefined, expected: number, requestedModel: string): EmbedResponse {
  const response = data as Partial<OllamaEmbedResponse> | undefined;
  const embeddings = response?.embeddings;
  if (!Array.isArray(embeddings) || !embeddings.every((v) => Array.isArray(v) && v.every((x) => typeof x === "number"))) {
    throw new ProviderError({ type: "invalid_response", message: "Ollama response has no embeddings list of number lists" });
  }
  if (embeddings.length !== expected) {
    const why = embeddings.length === 0 ? " (Ollama returns none for an empty text)" : "";
    throw new ProviderError({ type: "invalid_response", message: `Ollama returned ${embeddings.length} embeddings for ${expected} input${expected === 1 ? "" : "s"}${why}`, retriable: false });
  }
  const count = response?.prompt_eval_count;
  return {
    embeddings,
    usage: { input_tokens: typeof count === "number" && Number.isFinite(count) && count >= 0 ? count : 0, output_tokens: 0, cached_tokens: 0 },
    model: typeof response?.model === "string" && response.model !== "" ? response.model : requestedModel,
    ...(typeof response?.load_duration === "number" && response.load_duration >= 0 ? { serverQueueMs: response.load_duration / 1e6 } : {}),
  };
}

/**
 * Tool calls in OpenAI's shape (`arguments` as JSON text), so an output line reads the same whichever
 * provider answered; logprobs as OpenAI's `{content: [...]}`, whose entries Ollama's already match.
 */
function detailsOf(response: Partial<ChatResponse> | undefined): ReplyDetails | undefined {
  const calls = response?.message?.tool_calls;
  const logprobs = response?.logprobs;
  let details: ReplyDetails | undefined;
  if (Array.isArray(calls) && calls.length > 0) {
    details = {
      tool_calls: calls.map((c): ToolCall => {
        const id = (c as { id?: unknown }).id;
        const out: ToolCall = { type: "function", function: { name: c.function?.name ?? "", arguments: JSON.stringify(c.function?.arguments ?? {}) } };
        return typeof id === "string" && id !== "" ? { id, ...out } : out;
      }),
    };
  }
  if (Array.isArray(logprobs)) (details ??= {}).logprobs = { content: logprobs };
  return details;
}
