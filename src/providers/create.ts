/**
 * Provider construction from the run config, through the registry: the kind's entry builds the
 * provider, this module only says where each endpoint lives. The CLI reads the keys and URLs from
 * the environment and passes them in (STYLE: nothing below cli/ reads process.env).
 */
import type { Pipeline } from "../config/pipeline.js";
import { stepModel } from "./detect.js";
import { UsageError } from "../errors.js";
import type { Provider, ProviderName } from "../types.js";
import { providerKind, type EndpointSettings } from "./registry.js";

export { MISSING_OPENAI_KEY } from "./openai/kind.js";

export interface CreateProviderOptions extends Omit<EndpointSettings, "endpoint"> {
  /** The provider kind ("openai", "ollama", or a registered one). */
  provider: ProviderName;
  /** The endpoint's name, for messages. @default the kind's name (its default endpoint) */
  endpoint?: string;
}

export function createProvider(opts: CreateProviderOptions): Provider {
  const kind = providerKind(opts.provider);
  const endpoint = opts.endpoint ?? kind.name;
  const baseUrl = opts.baseUrl?.trim() || undefined;
  if (baseUrl !== undefined && !URL.canParse(baseUrl)) {
    throw new UsageError(`--base-url must be an absolute URL such as http://127.0.0.1:11434, got ${JSON.stringify(opts.baseUrl)}`);
  }
  const refused = baseUrl === undefined ? undefined : kind.checkBaseUrl?.(baseUrl);
  if (refused !== undefined) throw new UsageError(refused);
  const apiKey = opts.apiKey?.trim() || undefined;
  // A named endpoint's api_key_env says a key is wanted; an unset variable is a mistake, not "no key".
  if (apiKey === undefined && endpoint !== kind.name && opts.apiKeyEnv !== undefined) {
    throw new UsageError(`endpoint "${endpoint}": its api_key_env ${opts.apiKeyEnv} is not set; export it`);
  }
  return kind.create({ ...opts, endpoint, baseUrl, apiKey });
}

/**
 * A provider to ask `check()` and `checkEmbed()` only (`--strict`, `estimate`): built with no key
 * and no host, since it is never sent a request. `name` is an endpoint (a kind's default one, or
 * one of the pipeline's `endpoints`). A kind with no checks gets a provider that checks nothing.
 */
export function createCheckingProvider(name: string, pipeline?: Pick<Pipeline, "endpoints">): Provider {
  const kind = providerKind(pipeline?.endpoints?.[name]?.provider ?? name);
  return kind.createChecking?.() ?? { name: kind.name, generate: () => Promise.reject(new Error("a checking provider sends nothing")) };
}

/** Where one endpoint lives. */
export interface EndpointConnection {
  /** Absent: the pipeline's, else the kind's default. */
  baseUrl?: string;
  apiKey?: string;
  /** Ollama's word for `baseUrl` (kept from before endpoints). */
  host?: string;
}

/**
 * Where each endpoint lives, by endpoint name: a kind's default endpoint under the kind's name
 * (`openai`, `ollama`), a pipeline's named endpoints under theirs (only their key: their URL is
 * the pipeline's). The CLI fills it from flags and the environment.
 */
export interface ProviderConnections {
  openai?: EndpointConnection;
  ollama?: EndpointConnection;
  [endpoint: string]: EndpointConnection | undefined;
}

/**
 * How to create the provider of endpoint `name`. A named endpoint is the pipeline's (URL, kind,
 * which variable holds its key); a kind's default endpoint takes the pipeline's `base_url` when it
 * is the endpoint of the top-level model, else the connection's, else the kind's default.
 */
export function providerSettings(name: string, pipeline: Pipeline, connections: ProviderConnections, onWarning?: (message: string) => void): CreateProviderOptions {
  const connection = connections[name];
  const named = pipeline.endpoints?.[name];
  if (named !== undefined) {
    const settings: CreateProviderOptions = { provider: named.provider, endpoint: name, baseUrl: named.base_url, apiKey: connection?.apiKey, onWarning };
    if (named.api_key_env !== undefined) settings.apiKeyEnv = named.api_key_env;
    return settings;
  }
  const main = stepModel({}, pipeline).provider;
  const baseUrl = main === name ? pipeline.base_url : undefined;
  return { provider: name, baseUrl: baseUrl ?? connection?.baseUrl ?? connection?.host, apiKey: connection?.apiKey, onWarning };
}
