/**
 * Provider construction from the run config. The CLI reads OPENAI_API_KEY / --base-url and passes
 * them in (STYLE: nothing below cli/ reads process.env), so a missing key is a usage error here,
 * never a silent switch to the simulator (DESIGN: the simulator is never used in place of a provider).
 */
import type { Pipeline } from "../config/pipeline.js";
import { stepModel } from "../config/run-options.js";
import { UsageError } from "../errors.js";
import type { Provider, ProviderName } from "../types.js";
import { OllamaProvider } from "./ollama-provider.js";
import { OpenAIProvider, type MaxTokensField } from "./openai-provider.js";

export interface CreateProviderOptions {
  provider: ProviderName;
  /** OpenAI: the API base URL (…/v1). Ollama: the host (http://127.0.0.1:11434). */
  baseUrl?: string;
  /** Required for OpenAI; ignored by Ollama. */
  apiKey?: string;
  organization?: string;
  project?: string;
  /** See OpenAIProviderOptions.maxTokensField. */
  maxTokensField?: MaxTokensField;
}

export const MISSING_OPENAI_KEY =
  "OPENAI_API_KEY is not set; export it, or point --base-url at an OpenAI-compatible server that needs no key and set OPENAI_API_KEY to any value";

export function createProvider(opts: CreateProviderOptions): Provider {
  const baseUrl = opts.baseUrl?.trim() || undefined;
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) {
    throw new UsageError(`--base-url must be an absolute URL such as http://127.0.0.1:11434, got ${JSON.stringify(opts.baseUrl)}`);
  }
  switch (opts.provider) {
    case "openai": {
      const apiKey = opts.apiKey?.trim();
      if (!apiKey) throw new UsageError(MISSING_OPENAI_KEY);
      return new OpenAIProvider({
        apiKey,
        baseURL: baseUrl,
        organization: opts.organization,
        project: opts.project,
        maxTokensField: opts.maxTokensField,
      });
    }
    case "ollama":
      return new OllamaProvider({ host: baseUrl });
    default: {
      const unknown: never = opts.provider;
      throw new UsageError(`provider must be "openai" or "ollama", got ${JSON.stringify(unknown)}`);
    }
  }
}

/** Where each provider lives. The CLI fills it from flags and the environment. */
export interface ProviderConnections {
  openai?: { apiKey?: string; baseUrl?: string };
  ollama?: { host?: string };
}

/** The pipeline's base URL belongs to the provider of its top-level model; others use their defaults. */
export function providerSettings(name: ProviderName, pipeline: Pipeline, connections: ProviderConnections): CreateProviderOptions {
  const main = stepModel({}, pipeline).provider;
  const baseUrl = main === name ? pipeline.base_url : undefined;
  if (name === "ollama") return { provider: name, baseUrl: baseUrl ?? connections.ollama?.host };
  return { provider: name, baseUrl: baseUrl ?? connections.openai?.baseUrl, apiKey: connections.openai?.apiKey };
}
