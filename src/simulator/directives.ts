/**
 * Test directives: `[[sim:NAME]]` or `[[sim:NAME:ARG]]` (`[[sim:fail:N:KIND]]`) inside
 * the last user message make one request behave in a chosen way, so tests can provoke
 * a specific outcome without probabilistic faults.
 */

export const FAIL_KINDS = ["500", "503", "reset", "hang", "truncated", "429"] as const;
export type FailKind = (typeof FAIL_KINDS)[number];

/** Whose words a context-length refusal is in: OpenAI's, or an OpenAI-compatible server's own body. */
export const CONTEXT_STYLES = ["openai", "llamacpp", "vllm"] as const;
export type ContextStyle = (typeof CONTEXT_STYLES)[number];

export interface Directives {
  quota: boolean;
  /** `[[sim:context_length(:STYLE)]]`: refuse the prompt as too long, in that server's body. */
  contextLength?: ContextStyle;
  badRequest: boolean;
  region: boolean;
  rateLimit: boolean;
  contentFilter: boolean;
  /** `[[sim:fail:N(:KIND)]]`: the first N attempts with this content fail. */
  fail?: { times: number; kind: FailKind };
  /** `[[sim:invalid_json:N]]`: the first N structured replies are broken JSON. */
  invalidJson?: number;
  /** `[[sim:latency:MS]]`: overrides the latency draw. */
  latencyMs?: number;
  /** `[[sim:echo]]`: a text reply is the message itself, without its directives (see `echoText`). */
  echo?: boolean;
}

const DIRECTIVE = /\[\[sim:([a-z_]+)(?::([^\]:]+))?(?::([^\]:]+))?\]\]/g;

function nonNegativeInt(text: string | undefined, fallback: number): number {
  const value = Number(text);
  return text !== undefined && Number.isInteger(value) && value >= 0 ? value : fallback;
}

/** Parses every directive in `text`; unknown names are ignored, like unknown words. */
export function parseDirectives(text: string): Directives | undefined {
  if (!text.includes("[[sim:")) return undefined;
  const found: Directives = {
    quota: false,
    badRequest: false,
    region: false,
    rateLimit: false,
    contentFilter: false,
  };
  for (const match of text.matchAll(DIRECTIVE)) {
    const [, name, arg, arg2] = match;
    switch (name) {
      case "quota":
        found.quota = true;
        break;
      case "context_length":
        found.contextLength = (CONTEXT_STYLES as readonly string[]).includes(arg ?? "") ? (arg as ContextStyle) : "openai";
        break;
      case "bad_request":
        found.badRequest = true;
        break;
      case "region":
        found.region = true;
        break;
      case "rate_limit":
        found.rateLimit = true;
        break;
      case "content_filter":
        found.contentFilter = true;
        break;
      case "fail": {
        const kind = (FAIL_KINDS as readonly string[]).includes(arg2 ?? "") ? (arg2 as FailKind) : "500";
        found.fail = { times: nonNegativeInt(arg, 1), kind };
        break;
      }
      case "invalid_json":
        found.invalidJson = nonNegativeInt(arg, 1);
        break;
      case "latency":
        found.latencyMs = nonNegativeInt(arg, 0);
        break;
      case "echo":
        found.echo = true;
        break;
    }
  }
  return found;
}

/** What `[[sim:echo]]` answers: `text` without its directives, trimmed (so tests choose the reply's exact text). */
export function echoText(text: string): string {
  return text.replace(DIRECTIVE, "").trim();
}

/**
 * Attempts seen per (directive, content). Only requests that carry a counting directive
 * are recorded, so the map stays as small as the test that uses it.
 */
export class AttemptCounter {
  readonly #counts = new Map<string, number>();

  /** Records one attempt and returns its 1-based number. */
  next(key: string): number {
    const count = (this.#counts.get(key) ?? 0) + 1;
    this.#counts.set(key, count);
    return count;
  }

  clear(): void {
    this.#counts.clear();
  }
}
