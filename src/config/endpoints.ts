/**
 * A pipeline's named endpoints: `endpoints: {local: {base_url: …, provider?: …, api_key_env?: …}}`,
 * so one pipeline can send one step to a local vLLM (`model: local:llama3`) and another to OpenAI.
 * Each endpoint is its own provider connection, and so its own quota.
 */
import { isProviderName, providerNames, resolveModel } from "../providers/detect.js";
import { findProviderKind } from "../providers/registry.js";
import { UsageError } from "../errors.js";
import type { ProviderName } from "../types.js";
import { describe, isMap, isScalar, isSeq, type ConfigReader, type Field, type YamlNode } from "./yaml-reader.js";

export interface Endpoint {
  /** The server's base URL: `…/v1` for an OpenAI-compatible server, the host for Ollama. */
  base_url: string;
  /** The provider kind that speaks to it. @default "openai" */
  provider: ProviderName;
  /** The environment variable that holds its API key (the CLI reads it). Absent: no key is sent. */
  api_key_env?: string;
}

const ENDPOINT_KEYS = ["base_url", "provider", "api_key_env"] as const;
/** Used as a model prefix (`local:llama3`), so no colon, and lowercase as prefixes are compared. */
const ENDPOINT_NAME = /^[a-z][a-z0-9_-]*$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Reads the `endpoints` mapping; invalid entries are reported and left out. */
export function readEndpoints(r: ConfigReader, f: Field): Record<string, Endpoint> {
  const out: Record<string, Endpoint> = {};
  if (!isMap(f.value)) {
    r.report(f.value, `${f.path} must be a mapping of endpoint name to {base_url, provider, api_key_env}, got ${describe(f.value)}`, f.key.range?.[1]);
    return out;
  }
  const names = f.value.items.map((p) => (isScalar(p.key) ? String(p.key.value) : "")).filter((n) => n !== "");
  for (const entry of r.map(f.value, f.path, f.path, names)?.values() ?? []) {
    if (!ENDPOINT_NAME.test(entry.name)) {
      r.report(
        entry.key,
        `${entry.path}: an endpoint name must be lowercase letters, digits, "-" or "_", starting with a letter (it is written before the model, as in local:llama3), got ${JSON.stringify(entry.name)}`,
      );
      continue;
    }
    if (isProviderName(entry.name)) {
      r.report(
        entry.key,
        `${entry.path}: "${entry.name}" is a provider kind, and "${entry.name}:<model>" already means its default endpoint; give this endpoint another name (or set the default one's URL with base_url or --base-url)`,
      );
      continue;
    }
    const endpoint = readEndpoint(r, entry);
    if (endpoint !== undefined) out[entry.name] = endpoint;
  }
  return out;
}

function readEndpoint(r: ConfigReader, entry: Field): Endpoint | undefined {
  const fields = r.map(entry.value, entry.path, entry.path, ENDPOINT_KEYS);
  if (fields === undefined) return undefined;
  r.requireKeys(fields, entry.value, entry.path, ["base_url"]);
  let ok = fields.has("base_url");
  const providerField = fields.get("provider");
  const provider = providerField === undefined ? "openai" : r.oneOf(providerField, providerNames());
  if (provider === undefined) ok = false;
  const endpoint: Endpoint = { base_url: "", provider: provider ?? "openai" };
  const baseUrl = fields.get("base_url");
  if (baseUrl !== undefined) {
    const url = readBaseUrl(r, baseUrl);
    // The kind's own rule (an Ollama host must not end in /v1), where the kind is known.
    const refused = url === undefined || provider === undefined ? undefined : findProviderKind(provider)?.checkBaseUrl?.(url);
    if (refused !== undefined) r.report(baseUrl.value, `${baseUrl.path}: ${refused}`);
    if (url === undefined || refused !== undefined) ok = false;
    else endpoint.base_url = url;
  }
  const keyEnv = fields.get("api_key_env");
  if (keyEnv !== undefined) {
    const name = r.string(keyEnv, { nonEmpty: true });
    if (name !== undefined && !ENV_NAME.test(name)) {
      r.report(
        keyEnv.value,
        `${keyEnv.path} must name an environment variable (letters, digits and "_", not starting with a digit), got ${JSON.stringify(name)}; the key itself never goes in the pipeline`,
      );
      ok = false;
    } else if (name === undefined) ok = false;
    else endpoint.api_key_env = name;
  }
  return ok ? endpoint : undefined;
}

/** An absolute http(s) URL, as a pipeline's `base_url` must be. */
export function readBaseUrl(r: ConfigReader, f: Field): string | undefined {
  const raw = r.string(f, { nonEmpty: true });
  if (raw === undefined) return undefined;
  const url = URL.canParse(raw) ? new URL(raw) : undefined;
  if (url === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) {
    r.report(f.value, `${f.path} must be an http:// or https:// URL, got ${JSON.stringify(raw)}`);
    return undefined;
  }
  return raw;
}

/** A model field as the pipeline wrote it, to check its prefix once the endpoints are known. */
export interface ModelField {
  path: string;
  node: YamlNode;
  spec: string;
}

/** Reports each model whose prefix names no endpoint (only once the pipeline names endpoints; see `resolveModel`). */
export function checkModelPrefixes(r: ConfigReader, models: readonly ModelField[], endpoints: readonly string[]): void {
  if (endpoints.length === 0) return;
  for (const m of models) {
    try {
      resolveModel(m.spec, undefined, endpoints);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      r.report(m.node, `${m.path}: ${err.message}`);
    }
  }
}

/** The `model` of each step, as written (steps with problems of their own included: a bad prefix is one more). */
export function stepModelFields(r: ConfigReader, steps: YamlNode): ModelField[] {
  const seq = r.deref(steps);
  if (!isSeq(seq)) return [];
  const out: ModelField[] = [];
  seq.items.forEach((item, i) => {
    const step = r.deref(item);
    if (!isMap(step)) return;
    const pair = step.items.find((p) => isScalar(p.key) && p.key.value === "model");
    const node = r.deref(pair?.value);
    if (isScalar(node) && typeof node.value === "string") out.push({ path: `steps[${i}].model`, node, spec: node.value });
  });
  return out;
}
