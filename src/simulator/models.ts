/**
 * Which model names the simulator answers to, and what it knows about each: the dated
 * snapshot OpenAI reports back, the context window, whether it is a reasoning model
 * (which rejects `max_tokens` and non-default temperatures), whether it is an
 * Ollama-style local model, and what its embeddings look like. These facts shape the
 * simulated wire behaviour only; prices live with the providers.
 */

export const DEFAULT_MODELS: readonly string[] = [
  "gpt-4o-mini",
  "gpt-4o",
  "gpt-4.1",
  "gpt-4.1-mini",
  "gpt-4.1-nano",
  "o3",
  "o3-mini",
  "o4-mini",
  "gpt-5",
  "gpt-5-mini",
  "gpt-5-nano",
  "text-embedding-3-small",
  "text-embedding-3-large",
  "text-embedding-ada-002",
  "llama3.2",
  "llama3.1",
  "qwen2.5",
  "mistral",
  "nomic-embed-text",
  "mxbai-embed-large",
  "all-minilm",
];

/** The snapshot each alias resolved to at the time of writing, as `model` in responses. */
const SNAPSHOTS: Readonly<Record<string, string>> = {
  "gpt-4o-mini": "gpt-4o-mini-2024-07-18",
  "gpt-4o": "gpt-4o-2024-08-06",
  "gpt-4.1": "gpt-4.1-2025-04-14",
  "gpt-4.1-mini": "gpt-4.1-mini-2025-04-14",
  "gpt-4.1-nano": "gpt-4.1-nano-2025-04-14",
  o3: "o3-2025-04-16",
  "o3-mini": "o3-mini-2025-01-31",
  "o4-mini": "o4-mini-2025-04-16",
  "gpt-5": "gpt-5-2025-08-07",
  "gpt-5-mini": "gpt-5-mini-2025-08-07",
  "gpt-5-nano": "gpt-5-nano-2025-08-07",
  // OpenAI answers ada-002 requests with this name; the -3 models keep theirs.
  "text-embedding-ada-002": "text-embedding-ada-002-v2",
};

/** What a model's embeddings look like. */
export interface EmbeddingFacts {
  /** The length of a vector when `dimensions` does not shorten it. */
  dimensions: number;
  /** Whether OpenAI lets `dimensions` shorten it (text-embedding-3-*, not ada-002); Ollama shortens any. */
  shortens: boolean;
  /** The longest input, in tokens. */
  maxInputTokens: number;
  /** Only embeds (a chat request is refused). */
  only: boolean;
}

/** OpenAI's embedding models (8192 input tokens each) and Ollama's common ones (their default context). */
const EMBEDDING_MODELS: Readonly<Record<string, EmbeddingFacts>> = {
  "text-embedding-3-small": { dimensions: 1536, shortens: true, maxInputTokens: 8192, only: true },
  "text-embedding-3-large": { dimensions: 3072, shortens: true, maxInputTokens: 8192, only: true },
  "text-embedding-ada-002": { dimensions: 1536, shortens: false, maxInputTokens: 8192, only: true },
  "nomic-embed-text": { dimensions: 768, shortens: true, maxInputTokens: 2048, only: true },
  "mxbai-embed-large": { dimensions: 1024, shortens: true, maxInputTokens: 512, only: true },
  "all-minilm": { dimensions: 384, shortens: true, maxInputTokens: 256, only: true },
};
/** Ollama embeds with a chat model too (its hidden state); a common size for the simulated ones. */
const LOCAL_CHAT_EMBEDDING: EmbeddingFacts = { dimensions: 4096, shortens: true, maxInputTokens: 4096, only: false };

const OPENAI_FAMILY = /^(gpt-|o\d|chatgpt-|text-|davinci|babbage)/;
const REASONING_FAMILY = /^(o\d|gpt-5)/;
const DATED_SNAPSHOT = /^(.+)-\d{4}-\d{2}-\d{2}$/;

export interface ResolvedModel {
  /** The known name this request maps to (`gpt-4o-mini` for `gpt-4o-mini-2024-07-18`). */
  family: string;
  /** What an OpenAI-style response reports as `model`. */
  responseName: string;
  contextWindow: number;
  reasoning: boolean;
  /** A local model in Ollama's catalogue (listed by `/api/tags`). */
  local: boolean;
  /** Set for a model that can embed: every local model, and OpenAI's embedding models. */
  embedding: EmbeddingFacts | undefined;
}

function contextWindowOf(family: string): number {
  if (family.startsWith("gpt-4.1")) return 1_047_576;
  if (family.startsWith("gpt-5")) return 400_000;
  if (/^o\d/.test(family)) return 200_000;
  return 128_000;
}

export class ModelCatalog {
  /** What `/v1/models` and `/api/tags` list. */
  readonly names: readonly string[];
  readonly #known: ReadonlySet<string>;
  /** Only the listed names (and their snapshots and tags) are served; anything else is a 404. */
  readonly #restricted: boolean;

  /**
   * `restrictTo`: the only names served. Without it any name is served, as an OpenAI-compatible
   * server serves its own models (`gpt-3.5-turbo-0125`, a fine-tune, a vLLM model path), and
   * DEFAULT_MODELS are what the listings show.
   */
  constructor(restrictTo?: readonly string[]) {
    this.names = [...(restrictTo ?? DEFAULT_MODELS)];
    this.#known = new Set(this.names);
    this.#restricted = restrictTo !== undefined;
  }

  /**
   * Accepts a known name, a dated snapshot of one, an Ollama `name:tag`, or an OpenAI fine-tune
   * (`ft:<base>:<org>:<suffix>:<id>`, served as its base model: its checks, limits and window);
   * any other name too unless restricted.
   */
  resolve(requested: string): ResolvedModel | undefined {
    const base = fineTuneBase(requested);
    if (base !== undefined) {
      const resolved = this.resolve(base);
      return resolved && !resolved.local ? { ...resolved, responseName: requested } : undefined;
    }
    let family: string | undefined;
    let responseName = requested;
    const dated = DATED_SNAPSHOT.exec(requested)?.[1];
    const tagged = requested.includes(":") ? requested.slice(0, requested.indexOf(":")) : undefined;
    if (this.#known.has(requested)) {
      family = requested;
      responseName = SNAPSHOTS[requested] ?? requested;
    } else if (dated !== undefined && this.#known.has(dated)) family = dated;
    else if (tagged !== undefined && this.#known.has(tagged)) family = tagged;
    else if (!this.#restricted) return unlistedModel(requested, dated, tagged);
    if (family === undefined) return undefined;
    const local = !OPENAI_FAMILY.test(family);
    return {
      family,
      responseName,
      contextWindow: contextWindowOf(family),
      reasoning: REASONING_FAMILY.test(family),
      local,
      embedding: EMBEDDING_MODELS[family] ?? (local ? LOCAL_CHAT_EMBEDDING : undefined),
    };
  }

  isLocal(name: string): boolean {
    return !OPENAI_FAMILY.test(name);
  }
}

/**
 * The base model of an OpenAI fine-tune name (`ft:gpt-4o-mini-2024-07-18:acme::9abc` →
 * `gpt-4o-mini-2024-07-18`), or undefined. Its colons are OpenAI's separators, not an Ollama tag.
 */
function fineTuneBase(name: string): string | undefined {
  if (!name.startsWith("ft:")) return undefined;
  const base = name.slice(3).split(":")[0];
  return base !== undefined && OPENAI_FAMILY.test(base) ? base : undefined;
}

/**
 * A name outside the catalogue, served as it is named: a dated snapshot counts against its
 * family's limits, and only an Ollama-style `name:tag` is a local model (queued like Ollama's
 * `/v1`); anything else is a hosted model such as a vLLM server's.
 */
function unlistedModel(requested: string, dated: string | undefined, tagged: string | undefined): ResolvedModel {
  const openai = OPENAI_FAMILY.test(requested);
  const local = !openai && tagged !== undefined;
  const family = dated ?? (local ? tagged : requested);
  // A model of one's own (an Ollama tag, a vLLM server's) can embed as Ollama's chat models do; an OpenAI family name cannot unless listed.
  const embedding = EMBEDDING_MODELS[family] ?? (openai ? undefined : LOCAL_CHAT_EMBEDDING);
  return { family, responseName: requested, contextWindow: contextWindowOf(family), reasoning: REASONING_FAMILY.test(family), local, embedding };
}
