/**
 * The provider registry: one entry per provider kind, looked up by name. The core never names a
 * provider: the built-in kinds come in through `registerProvider` exactly as a program's own kind
 * does (simonw/llm registers its own OpenAI models through the hook plugins use). Adding a kind is
 * one folder with its entry plus one line in `BUILT_IN` below, or one `registerProvider` call.
 */
import { UsageError, type ProviderError } from "../errors.js";
import type { EncodingName } from "../tokens/bpe.js";
import type { Provider, ProviderName, RateLimitInfo } from "../types.js";
import { ollamaKind } from "./ollama/kind.js";
import { openaiKind } from "./openai/kind.js";

/** What a kind can run. The engine and the checks read these instead of comparing names. */
export interface ProviderCapabilities {
  /** Chat completions (`generate`). */
  chat: boolean;
  /** Embeddings (`embed`). */
  embeddings: boolean;
  /** JSON Schema structured output (`response_format: json_schema`, or the kind's equivalent). */
  structuredOutput: boolean;
  /** A provider Batch API (upload, poll, collect at batch prices). */
  batch: boolean;
  /**
   * The server queues requests and sends no rate-limit headers (Ollama): with no `rpm`/`tpm` set,
   * the engine starts at 1 request in flight and grows to the server's parallelism.
   */
  serverQueue: boolean;
}

/** Where one endpoint of a kind lives, as the caller resolved it (the CLI from flags, environment and the pipeline). */
export interface EndpointSettings {
  /** The endpoint's name, for messages: a kind's default endpoint is named after the kind. */
  endpoint: string;
  /** Absent: the kind's default (`defaultBaseUrl`). */
  baseUrl?: string;
  apiKey?: string;
  /** Where a key would have come from (`OPENAI_API_KEY`, an endpoint's `api_key_env`), for messages. */
  apiKeyEnv?: string;
  organization?: string;
  project?: string;
  /** OpenAI-style kinds: the field that carries the output cap (see `maxTokensFieldFor`). */
  maxTokensField?: "max_completion_tokens" | "max_tokens";
  /** Hears what the user should know about the connection (a server sent no key), once per endpoint. */
  onWarning?(message: string): void;
}

/** What a kind's error classifier may be told about the call that failed. */
export interface ClassifyContext {
  /** Which of our own signals aborted the call, if one did. */
  aborted?: "timeout" | "cancelled";
  timeoutMs: number;
  /** The request's output cap. */
  maxTokens?: number;
  /** A literal secret (the API key) to scrub from messages. */
  secret?: string;
  /** A wait hint read from the failed response's headers. */
  retryAfterMs?: number;
}

export interface ProviderKind {
  /** The model prefix (`ollama:llama3.2`), `--provider`'s value and an endpoint's `provider:`. Lowercase. */
  name: ProviderName;
  /** The base URL used when an endpoint names none. */
  defaultBaseUrl: string;
  /** Environment variables the CLI reads for the kind's default endpoint (nothing below cli/ reads them). */
  env?: { apiKey?: string; baseUrl?: string };
  /** Why `baseUrl` (an absolute URL) cannot be an endpoint of this kind (a path the kind does not speak), or undefined. */
  checkBaseUrl?(baseUrl: string): string | undefined;
  /** This kind's base URL on the bundled simulator at `simulatorUrl` (`--simulate`); absent: the simulator does not speak it. */
  simulated?(simulatorUrl: string): string;
  /** Builds the provider of one endpoint; throws `UsageError` for settings it cannot use (a missing key). */
  create(settings: EndpointSettings): Provider;
  /**
   * A provider asked `check()`/`checkEmbed()` only (`--strict`, `estimate`): built with no key and
   * no network. Absent: the kind checks no request before sending it.
   */
  createChecking?(): Provider;
  /** Maps a failure of one call (an SDK error, a fetch failure) to llmbatch's error types. */
  classifyError(err: unknown, context: ClassifyContext): ProviderError;
  /** Reads rate-limit headers (`x-ratelimit-*`, `retry-after`) into the common form. */
  readRateLimits(header: (name: string) => string | null): RateLimitInfo;
  /** The tokenizer estimates of this kind's requests count with (the TPM reservation, `estimate`). */
  encoding(model: string): EncodingName;
  capabilities: ProviderCapabilities;
}

const KIND_NAME = /^[a-z][a-z0-9_-]*$/;

/** The built-in kinds, registered the way a program registers its own. */
const BUILT_IN: readonly ProviderKind[] = [openaiKind, ollamaKind];

const kinds = new Map<string, ProviderKind>();

/**
 * Adds a provider kind: its models are then named `<name>:<model>`, and a pipeline endpoint may
 * say `provider: <name>`. Register before loading the pipelines that use it. Returns a function
 * that removes it again (for tests).
 * @throws UsageError when the name is taken or is not lowercase letters, digits, `-` and `_`.
 */
export function registerProvider(kind: ProviderKind): () => void {
  if (!KIND_NAME.test(kind.name)) throw new UsageError(`a provider kind's name must be lowercase letters, digits, "-" or "_", starting with a letter, got ${JSON.stringify(kind.name)}`);
  if (kinds.has(kind.name)) throw new UsageError(`provider kind "${kind.name}" is already registered`);
  kinds.set(kind.name, kind);
  return () => {
    if (kinds.get(kind.name) === kind) kinds.delete(kind.name);
  };
}

for (const kind of BUILT_IN) registerProvider(kind);

/** The kind registered under `name`, or undefined. */
export function findProviderKind(name: string): ProviderKind | undefined {
  return kinds.get(name);
}

/** The kind registered under `name`. @throws UsageError naming the registered kinds. */
export function providerKind(name: string): ProviderKind {
  const kind = kinds.get(name);
  if (kind === undefined) throw new UsageError(`provider must be one of ${providerKindNames().join(", ")}, got ${JSON.stringify(name)}`);
  return kind;
}

/** Every registered kind's name, built-ins first. */
export function providerKindNames(): string[] {
  return [...kinds.keys()];
}

/** Every registered kind, built-ins first. */
export function providerKinds(): ProviderKind[] {
  return [...kinds.values()];
}

/** Whether the kind of `provider` queues requests on the server (see `ProviderCapabilities.serverQueue`). */
export function queuesOnServer(provider: Provider): boolean {
  return kinds.get(provider.name)?.capabilities.serverQueue === true;
}
