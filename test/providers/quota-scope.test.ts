import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { createProvider, providerSettings } from "../../src/providers/create.js";
import { yaml } from "../config/helpers.js";

const pipeline = parsePipeline(
  yaml(
    "name: scopes",
    "endpoints:",
    "  local: {base_url: 'http://127.0.0.1:8000/v1'}",
    "  eu: {base_url: 'https://eu.example.com/v1', api_key_env: EU_KEY}",
    "  lan: {base_url: 'http://10.0.0.5:11434', provider: ollama}",
    "steps:",
    "  - {id: a, method: generate, prompt: '{{text}}', model: local:llama3}",
  ),
  "scopes.yaml",
);
const KEY = "sk-proj-9d8c7b6a5f4e3d2c1b0a";
const connections = { openai: { apiKey: KEY }, eu: { apiKey: "sk-eu-1234567890abcdef" } };
const scopeOf = (endpoint: string, model: string) => createProvider(providerSettings(endpoint, pipeline, connections)).quotaScope!(model);

describe("each endpoint is its own quota", () => {
  it("OpenAI-style endpoints are scoped by endpoint, key and model; the key never shows", () => {
    const scopes = [scopeOf("openai", "gpt-4o-mini"), scopeOf("openai", "gpt-4o"), scopeOf("local", "gpt-4o-mini"), scopeOf("eu", "gpt-4o-mini")];
    expect(new Set(scopes.map((s) => s.key)).size).toBe(4);
    expect(scopeOf("openai", "gpt-4o-mini")).toEqual(scopes[0]);
    for (const s of scopes) expect(`${s.key} ${s.label}`).not.toMatch(/sk-/);
    expect(scopes[2]!.label).toContain("127.0.0.1:8000");
    expect(scopes[2]!.key).toContain("http://127.0.0.1:8000/v1");
  });

  it("an Ollama endpoint is one quota for all its models, apart from another Ollama server", () => {
    expect(scopeOf("lan", "llama3.2")).toEqual(scopeOf("lan", "qwen2.5"));
    expect(scopeOf("lan", "llama3.2").key).not.toBe(scopeOf("ollama", "llama3.2").key);
  });
});
