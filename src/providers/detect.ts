/**
 * Model spec → endpoint. The rule is deliberately syntactic: a prefix naming a provider kind or
 * one of the pipeline's endpoints, else the override, else OpenAI. We do not guess from the model
 * name (no "llama → ollama" lists), because OpenAI-compatible servers (vLLM, llama.cpp, Ollama's
 * /v1) serve arbitrary names under the OpenAI provider, and a hand-kept list of names goes stale
 * (STYLE: model rules are data).
 */
import { UsageError } from "../errors.js";
import type { Pipeline } from "../config/pipeline.js";
import type { ProviderName } from "../types.js";
import { findProviderKind, providerKindNames } from "./registry.js";

/** The registered provider kinds' names (the built-ins and any `registerProvider` added). */
export function providerNames(): string[] {
  return providerKindNames();
}

export function isProviderName(value: string): value is ProviderName {
  return findProviderKind(value) !== undefined;
}

/** The provider kind of endpoint `name`: a named endpoint's `provider`, else the kind the name is. */
export function endpointKind(name: string, pipeline: { endpoints?: Readonly<Record<string, { provider: ProviderName }>> }): ProviderName {
  return pipeline.endpoints?.[name]?.provider ?? name;
}

export interface ResolvedModel {
  /** The endpoint the model is sent to: a kind's default endpoint (named after the kind) or a named one. */
  provider: ProviderName;
  model: string;
}

/**
 * Splits `ollama:llama3.2` into `{provider: "ollama", model: "llama3.2"}`, and `local:llama3`
 * into `{provider: "local", model: "llama3"}` when `local` is one of `endpoints`.
 *
 * - Only the first colon is a separator, and only when what precedes it is a provider kind or an
 *   endpoint, so Ollama tags survive: `ollama:llama3.2:latest` → model `llama3.2:latest`, and a
 *   bare `llama3.2:latest` stays one model name.
 * - Once a pipeline names endpoints, a prefix that is neither is an error listing them (a
 *   misspelt endpoint must not quietly become a model name sent to OpenAI); an Ollama tag is then
 *   written with its prefix, `ollama:llama3.2:latest`.
 * - An explicit prefix wins over `override`: the override (`--provider`) is the default for bare
 *   names, so a pipeline may still pin one step to `ollama:…` while the run defaults to OpenAI.
 *
 * @throws UsageError when the spec or the model after the prefix is empty, or names no endpoint.
 */
export function resolveModel(spec: string, override?: ProviderName, endpoints: readonly string[] = []): ResolvedModel {
  const trimmed = spec.trim();
  if (trimmed === "") throw new UsageError(`model must be a non-empty name, got ${JSON.stringify(spec)}`);
  const colon = trimmed.indexOf(":");
  if (colon > 0) {
    const prefix = trimmed.slice(0, colon).toLowerCase();
    if (isProviderName(prefix) || endpoints.includes(prefix)) {
      const model = trimmed.slice(colon + 1).trim();
      if (model === "") {
        throw new UsageError(`model ${JSON.stringify(spec)} names ${isProviderName(prefix) ? "provider" : "endpoint"} "${prefix}" but no model after the colon`);
      }
      return { provider: prefix, model };
    }
    if (endpoints.length > 0) throw new UsageError(unknownEndpointMessage(spec, prefix, endpoints));
  }
  return { provider: override ?? "openai", model: trimmed };
}

/** A model's prefix that is no endpoint, once the pipeline names some. */
export function unknownEndpointMessage(spec: string, prefix: string, endpoints: readonly string[]): string {
  return (
    `model ${JSON.stringify(spec)} names "${prefix}", which is neither an endpoint of the pipeline (${endpoints.join(", ")}) nor a provider (${providerNames().join(", ")}); ` +
    `an Ollama model with a tag is written ollama:<model>:<tag>`
  );
}

/** The model a step calls when neither it nor the pipeline names one. */
export const DEFAULT_MODEL = "gpt-4o-mini";

/** The endpoint and model a generate step calls: its own `model`, else the pipeline's, else the default. */
export function stepModel(step: { model?: string }, pipeline: Pick<Pipeline, "model" | "provider" | "endpoints">): ResolvedModel {
  return resolveModel(step.model ?? pipeline.model ?? DEFAULT_MODEL, pipeline.provider, pipeline.endpoints === undefined ? undefined : Object.keys(pipeline.endpoints));
}
