/**
 * Quota identities (`Provider.quotaScope`): what a server limits together, named without a secret.
 * OpenAI counts limits per organisation, project and model, and an API key belongs to one of those;
 * so an OpenAI-style quota is (kind, endpoint, key identity, model), the key only as a short hash.
 * An Ollama server has no per-model limits: one quota for the server.
 */
import { createHash } from "node:crypto";
import type { QuotaScope } from "../types.js";

/** Short enough to read, long enough that two keys of one run never collide in practice. */
const KEY_HASH_CHARS = 12;
/** What a label shows of the key's hash. */
const LABEL_HASH_CHARS = 6;

/** The sha256 of an API key, shortened ("none" without a key): never the key itself. */
export function keyIdentity(apiKey: string | undefined): string {
  return apiKey === undefined ? "none" : createHash("sha256").update(apiKey).digest("hex").slice(0, KEY_HASH_CHARS);
}

/** Memoizes one provider's scopes by model: a call looks its quota up by model, once per model hashed. */
export function openAIStyleScopes(kind: string, endpoint: string, apiKey: string | undefined): (model: string) => QuotaScope {
  const key = keyIdentity(apiKey);
  const where = hostOf(endpoint);
  const scopes = new Map<string, QuotaScope>();
  return (model) => {
    let scope = scopes.get(model);
    if (scope === undefined) {
      const keyLabel = key === "none" ? "no key" : `key ${key.slice(0, LABEL_HASH_CHARS)}`;
      scope = { key: `${kind}|${endpoint}|${key}|${model}`, label: `${model} (${where}, ${keyLabel})` };
      scopes.set(model, scope);
    }
    return scope;
  };
}

/** One quota for every model of a server. */
export function serverScope(kind: string, host: string): QuotaScope {
  return { key: `${kind}|${host}`, label: `${kind} ${hostOf(host)}` };
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}
