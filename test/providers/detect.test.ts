import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { resolveModel } from "../../src/providers/detect.js";

describe("resolveModel", () => {
  it("reads a provider prefix", () => {
    expect(resolveModel("ollama:llama3.2")).toEqual({ provider: "ollama", model: "llama3.2" });
    expect(resolveModel("openai:any-name")).toEqual({ provider: "openai", model: "any-name" });
    expect(resolveModel("OLLAMA:qwen2.5")).toEqual({ provider: "ollama", model: "qwen2.5" });
  });

  it("keeps Ollama tags after the first colon", () => {
    expect(resolveModel("ollama:llama3.2:latest")).toEqual({ provider: "ollama", model: "llama3.2:latest" });
  });

  it("sends bare names to openai unless overridden", () => {
    expect(resolveModel("gpt-4o-mini")).toEqual({ provider: "openai", model: "gpt-4o-mini" });
    expect(resolveModel("llama3.2")).toEqual({ provider: "openai", model: "llama3.2" });
    expect(resolveModel("llama3.2", "ollama")).toEqual({ provider: "ollama", model: "llama3.2" });
    // A colon that is not a provider prefix is part of the name (an Ollama tag, a fine-tune id).
    expect(resolveModel("llama3.2:3b", "ollama")).toEqual({ provider: "ollama", model: "llama3.2:3b" });
    expect(resolveModel("ft:gpt-4o-mini:org::abc")).toEqual({ provider: "openai", model: "ft:gpt-4o-mini:org::abc" });
  });

  it("lets an explicit prefix win over the override", () => {
    expect(resolveModel("openai:gpt-4o", "ollama")).toEqual({ provider: "openai", model: "gpt-4o" });
  });

  it("rejects empty specs with a usage error naming the value", () => {
    expect(() => resolveModel("")).toThrow(UsageError);
    expect(() => resolveModel("ollama:")).toThrow(/"ollama:"/);
  });
});
