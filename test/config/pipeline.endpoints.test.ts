import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { problemsOf, yaml } from "./helpers.js";

const STEP = ["steps:", "  - id: a", "    method: generate", "    prompt: '{{text}}'"];

describe("pipeline endpoints", () => {
  it("are read with their defaults, and a step's prefix picks one", () => {
    const p = parsePipeline(
      yaml(
        "name: two",
        "endpoints:",
        "  local: {base_url: 'http://127.0.0.1:8000/v1'}",
        "  lan: {base_url: 'http://10.0.0.5:11434', provider: ollama}",
        "  eu: {base_url: 'https://eu.example.com/v1', api_key_env: EU_LLM_KEY}",
        "provider: local",
        ...STEP,
        "    model: lan:llama3.2:latest",
      ),
      "p.yaml",
    );
    expect(p.endpoints).toEqual({
      local: { base_url: "http://127.0.0.1:8000/v1", provider: "openai" },
      lan: { base_url: "http://10.0.0.5:11434", provider: "ollama" },
      eu: { base_url: "https://eu.example.com/v1", provider: "openai", api_key_env: "EU_LLM_KEY" },
    });
    expect(p.provider).toBe("local");
  });

  it("name the unknown endpoint of a step, at its line, and list the endpoints", () => {
    expect(problemsOf(yaml("name: x", "endpoints:", "  local: {base_url: 'http://127.0.0.1:8000/v1'}", "model: remote:gpt-4o", ...STEP, "    model: lcoal:llama3"))).toEqual([
      '4:8: model: model "remote:gpt-4o" names "remote", which is neither an endpoint of the pipeline (local) nor a provider (openai, ollama); an Ollama model with a tag is written ollama:<model>:<tag>',
      '9:12: steps[0].model: model "lcoal:llama3" names "lcoal", which is neither an endpoint of the pipeline (local) nor a provider (openai, ollama); an Ollama model with a tag is written ollama:<model>:<tag>',
    ]);
  });

  it("leave a bare Ollama tag alone in a pipeline without endpoints", () => {
    expect(parsePipeline(yaml("name: x", "provider: ollama", ...STEP, "    model: llama3.2:latest"), "p.yaml").steps[0]).toMatchObject({ model: "llama3.2:latest" });
  });

  it("may not take a provider kind's name", () => {
    expect(problemsOf(yaml("name: x", "endpoints:", "  openai: {base_url: 'http://127.0.0.1:8000/v1'}", ...STEP))).toEqual([
      '3:3: endpoints.openai: "openai" is a provider kind, and "openai:<model>" already means its default endpoint; give this endpoint another name (or set the default one\'s URL with base_url or --base-url)',
    ]);
  });

  it("report every bad field together, with its file position", () => {
    expect(
      problemsOf(
        yaml(
          "name: x",
          "endpoints:",
          "  Local: {base_url: 'http://127.0.0.1:8000/v1'}",
          "  nourl: {provider: openai}",
          "  badurl: {base_url: 'localhost:8000'}",
          "  kind: {base_url: 'http://h/v1', provider: olama}",
          "  v1: {base_url: 'http://127.0.0.1:11434/v1', provider: ollama}",
          "  key: {base_url: 'http://h/v1', api_key_env: 'sk-live-123'}",
          "  extra: {base_url: 'http://h/v1', apikey: X}",
          ...STEP,
        ),
      ),
    ).toEqual([
      '3:3: endpoints.Local: an endpoint name must be lowercase letters, digits, "-" or "_", starting with a letter (it is written before the model, as in local:llama3), got "Local"',
      '4:10: endpoints.nourl is missing required key "base_url"',
      '5:22: endpoints.badurl.base_url must be an http:// or https:// URL, got "localhost:8000"',
      '6:45: endpoints.kind.provider must be one of: openai, ollama, got "olama" (did you mean "ollama"?)',
      "7:18: endpoints.v1.base_url: the Ollama host http://127.0.0.1:11434/v1 ends in /v1, which is Ollama's OpenAI-compatible API, not the native one the ollama provider uses: drop the /v1 (http://127.0.0.1:11434), or keep it and name the model openai:<model>",
      '8:47: endpoints.key.api_key_env must name an environment variable (letters, digits and "_", not starting with a digit), got "sk-live-123"; the key itself never goes in the pipeline',
      '9:36: unknown key "apikey" in endpoints.extra',
    ]);
  });

  it("let provider name an endpoint, and refuse a name that is neither", () => {
    expect(problemsOf(yaml("name: x", "endpoints:", "  local: {base_url: 'http://h/v1'}", "provider: lokal", ...STEP))).toEqual([
      '4:11: provider must be one of: openai, ollama, local, got "lokal" (did you mean "local"?)',
    ]);
  });
});
