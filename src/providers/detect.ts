/**
 * Model spec → provider. The rule is deliberately syntactic: a `provider:` prefix, else the
 * override, else OpenAI. We do not guess from the model name (no "llama → ollama" lists), because
 * OpenAI-compatible servers (vLLM, llama.cpp, Ollama's /v1) serve arbitrary names under the
 * OpenAI provider, and a hand-kept list of names goes stale (STYLE: model rules are data).
 */
import { UsageError } from "../errors.js";
import type { ProviderName } from "../types.js";

export const PROVIDER_NAMES: readonly ProviderName[] = ["openai", "ollama"];

export function isProviderName(value: string): value is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(value);
}

export interface ResolvedModel {
  provider: ProviderName;
  model: string;
}

/**
 * Splits `ollama:llama3.2` into `{provider: "ollama", model: "llama3.2"}`.
 *
 * - Only the first colon is a provider separator, and only when what precedes it is a provider
 *   name, so Ollama tags survive: `ollama:llama3.2:latest` → model `llama3.2:latest`, and a bare
 *   `llama3.2:latest` stays one model name.
 * - An explicit prefix wins over `override`: the override (`--provider`) is the default for bare
 *   names, so a pipeline may still pin one step to `ollama:…` while the run defaults to OpenAI.
 *
 * @throws UsageError when the spec or the model after the prefix is empty.
 */
export function resolveModel(spec: string, override?: ProviderName): ResolvedModel {
  const trimmed = spec.trim();
  if (trimmed === "") throw new UsageError(`model must be a non-empty name, got ${JSON.stringify(spec)}`);
  const colon = trimmed.indexOf(":");
  if (colon > 0) {
    const prefix = trimmed.slice(0, colon).toLowerCase();
    if (isProviderName(prefix)) {
      const model = trimmed.slice(colon + 1).trim();
      if (model === "") {
        throw new UsageError(`model ${JSON.stringify(spec)} names provider "${prefix}" but no model after the colon`);
      }
      return { provider: prefix, model };
    }
  }
  return { provider: override ?? "openai", model: trimmed };
}
