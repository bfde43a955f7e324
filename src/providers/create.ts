/**
 * Provider construction from the run config. The CLI reads OPENAI_API_KEY / --base-url and passes
 * them in (STYLE: nothing below cli/ reads process.env). A missing key is a usage error for OpenAI
 * itself, never a silent switch to the simulator (DESIGN: the simulator is never used in place of a
 * provider); a server of one's own (llama.cpp, vLLM, LM Studio) often checks none, so it gets none.
 */
import type { Pipeline } from "../config/pipeline.js";
import { stepModel } from "../config/run-options.js";
import { UsageError } from "../errors.js";
import type { Provider, ProviderName } from "../types.js";
import { OllamaProvider } from "./ollama-provider.js";
import { isOpenAIHost, OPENAI_DEFAULT_BASE_URL, OpenAIProvider, type MaxTokensField } from "./openai-provider.js";

export interface CreateProviderOptions {
  provider: ProviderName;
  /** OpenAI: the API base URL (…/v1). Ollama: the host (http://127.0.0.1:11434). */
  baseUrl?: string;
  /** Required for api.openai.com; another OpenAI-compatible server is sent none without it. Ignored by Ollama. */
  apiKey?: string;
  organization?: string;
  project?: string;
  /** See OpenAIProviderOptions.maxTokensField. */
  maxTokensField?: MaxTokensField;
  /** Hears what the user should know about the connection (a server sent no key), once per provider. */
  onWarning?(message: string): void;
}

export const MISSING_OPENAI_KEY =
  "OPENAI_API_KEY is not set; export it (a server of your own at --base-url that checks no key needs none)";

export function createProvider(opts: CreateProviderOptions): Provider {
  const baseUrl = opts.baseUrl?.trim() || undefined;
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) {
    throw new UsageError(`--base-url must be an absolute URL such as http://127.0.0.1:11434, got ${JSON.stringify(opts.baseUrl)}`);
  }
  switch (opts.provider) {
    case "openai": {
      const apiKey = opts.apiKey?.trim() || undefined;
      if (apiKey === undefined) {
        if (isOpenAIHost(baseUrl ?? OPENAI_DEFAULT_BASE_URL)) throw new UsageError(MISSING_OPENAI_KEY);
        opts.onWarning?.(`no OPENAI_API_KEY: sending no key to ${baseUrl}`);
      }
      return new OpenAIProvider({
        apiKey,
        baseURL: baseUrl,
        organization: opts.organization,
        project: opts.project,
        maxTokensField: opts.maxTokensField,
      });
    }
    case "ollama":
      if (baseUrl !== undefined && /\/v1\/?$/.test(new URL(baseUrl).pathname)) throw new UsageError(ollamaV1Message(baseUrl));
      return new OllamaProvider({ host: baseUrl });
    default: {
      const unknown: never = opts.provider;
      throw new UsageError(`provider must be "openai" or "ollama", got ${JSON.stringify(unknown)}`);
    }
  }
}

/**
 * A provider to ask `check()` and `checkEmbed()` only (`--strict`, `estimate`): built with no key
 * and no host, since it is never sent a request. `createProvider` would refuse OpenAI without a
 * key, which a check does not need; constructing either provider touches no network.
 */
export function createCheckingProvider(name: ProviderName): Provider {
  return name === "ollama" ? new OllamaProvider() : new OpenAIProvider({});
}

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

/** Where each provider lives. The CLI fills it from flags and the environment. */
export interface ProviderConnections {
  openai?: { apiKey?: string; baseUrl?: string };
  ollama?: { host?: string };
}

/** The pipeline's base URL belongs to the provider of its top-level model; others use their defaults. */
export function providerSettings(name: ProviderName, pipeline: Pipeline, connections: ProviderConnections, onWarning?: (message: string) => void): CreateProviderOptions {
  const main = stepModel({}, pipeline).provider;
  const baseUrl = main === name ? pipeline.base_url : undefined;
  if (name === "ollama") return { provider: name, baseUrl: baseUrl ?? connections.ollama?.host };
  return { provider: name, baseUrl: baseUrl ?? connections.openai?.baseUrl, apiKey: connections.openai?.apiKey, onWarning };
}
