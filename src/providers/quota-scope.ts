/**
 * The quota a provider's call spends: what the server limits, so that two endpoints (or two keys,
 * or two models on OpenAI) never share buckets, a 429 or a learned limit. OpenAI counts limits per
 * organization (the key stands for it) and per model; an Ollama server is one queue for all its
 * models. The key is hashed: a quota key or label may be logged, the API key never.
 */
import { createHash } from "node:crypto";

export interface QuotaScope {
  /** Identifies the quota: equal keys share buckets. Holds no secret. */
  key: string;
  /** For humans (summary, report): the endpoint and model, the key's hash shortened. */
  label: string;
}

/** A short, stable stand-in for an API key: 12 hex digits of its sha256. */
export function keyId(apiKey: string | undefined): string {
  return apiKey === undefined ? "no-key" : createHash("sha256").update(apiKey).digest("hex").slice(0, 12);
}

/** Per (kind, base URL, key, model): OpenAI and OpenAI-compatible servers. Memoised per model by the caller's map. */
export function perModelScope(kind: string, baseUrl: string, apiKey: string | undefined, cache: Map<string, QuotaScope>, model: string): QuotaScope {
  let scope = cache.get(model);
  if (scope === undefined) {
    const id = keyId(apiKey);
    scope = { key: `${kind} ${baseUrl} ${id} ${model}`, label: `${model} at ${baseUrl} (${kind}, key ${id.slice(0, 6)})` };
    cache.set(model, scope);
  }
  return scope;
}

/** One per server, whatever the model: Ollama queues every model's requests together. */
export function perServerScope(kind: string, host: string): QuotaScope {
  return { key: `${kind} ${host}`, label: `${host} (${kind})` };
}
