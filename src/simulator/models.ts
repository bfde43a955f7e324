/**
 * Which model names the simulator answers to, and what it knows about each: the dated
 * snapshot OpenAI reports back, the context window, whether it is a reasoning model
 * (which rejects `max_tokens` and non-default temperatures) and whether it is an
 * Ollama-style local model. These facts shape the simulated wire behaviour only;
 * prices live with the providers.
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
  "llama3.2",
  "llama3.1",
  "qwen2.5",
  "mistral",
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
};

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
}

function contextWindowOf(family: string): number {
  if (family.startsWith("gpt-4.1")) return 1_047_576;
  if (family.startsWith("gpt-5")) return 400_000;
  if (/^o\d/.test(family)) return 200_000;
  return 128_000;
}

export class ModelCatalog {
  readonly names: readonly string[];
  readonly #known: ReadonlySet<string>;

  constructor(names: readonly string[] = DEFAULT_MODELS) {
    this.names = [...names];
    this.#known = new Set(names);
  }

  /** Accepts a known name, a dated snapshot of one, or an Ollama `name:tag`. */
  resolve(requested: string): ResolvedModel | undefined {
    let family: string | undefined;
    let responseName = requested;
    if (this.#known.has(requested)) {
      family = requested;
      responseName = SNAPSHOTS[requested] ?? requested;
    } else {
      const dated = DATED_SNAPSHOT.exec(requested)?.[1];
      const tagged = requested.includes(":") ? requested.slice(0, requested.indexOf(":")) : undefined;
      if (dated !== undefined && this.#known.has(dated)) family = dated;
      else if (tagged !== undefined && this.#known.has(tagged)) family = tagged;
    }
    if (family === undefined) return undefined;
    return {
      family,
      responseName,
      contextWindow: contextWindowOf(family),
      reasoning: REASONING_FAMILY.test(family),
      local: !OPENAI_FAMILY.test(family),
    };
  }

  isLocal(name: string): boolean {
    return !OPENAI_FAMILY.test(name);
  }
}
