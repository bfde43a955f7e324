import { getEventListeners } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { createProvider, MISSING_OPENAI_KEY } from "../../src/providers/create.js";
import { OllamaProvider } from "../../src/providers/ollama/ollama-provider.js";
import { maxTokensFieldFor, OpenAIProvider } from "../../src/providers/openai/openai-provider.js";
import { DEFAULT_MODELS, startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";

let sim: SimulatorHandle;
beforeAll(async () => {
  // Restricted to the listed models, so "nope" is a 404 (by default the simulator serves any name).
  sim = await startSimulator({ apiKey: "sk-sim-key-abcdefgh", quiet: true, models: [...DEFAULT_MODELS] });
});
afterAll(() => sim.close());

const hello = (model: string) => ({ model, messages: [{ role: "user" as const, content: "hi" }], params: {} });

describe("createProvider", () => {
  it("refuses an OpenAI provider without a key for api.openai.com, with the message that says what to do", () => {
    expect(() => createProvider({ provider: "openai" })).toThrow(UsageError);
    expect(() => createProvider({ provider: "openai", apiKey: "  " })).toThrow(MISSING_OPENAI_KEY);
    expect(() => createProvider({ provider: "openai", baseUrl: "https://api.openai.com/v1/" })).toThrow(/OPENAI_API_KEY is not set/);
  });

  it("builds one without a key for another server, and says so once", () => {
    const warnings: string[] = [];
    expect(createProvider({ provider: "openai", baseUrl: sim.openaiBaseUrl, onWarning: (m) => warnings.push(m) })).toBeInstanceOf(OpenAIProvider);
    expect(warnings).toEqual([`no OPENAI_API_KEY: sending no key to ${sim.openaiBaseUrl}`]);
  });

  it("rejects a base URL that is not a URL, naming it", () => {
    expect(() => createProvider({ provider: "ollama", baseUrl: "localhost 11434" })).toThrow(/"localhost 11434"/);
  });

  it("builds working providers pointed at the given base URL", async () => {
    const openai = createProvider({ provider: "openai", apiKey: "sk-sim-key-abcdefgh", baseUrl: sim.openaiBaseUrl });
    const ollama = createProvider({ provider: "ollama", baseUrl: sim.ollamaHost });
    expect(openai).toBeInstanceOf(OpenAIProvider);
    expect(ollama).toBeInstanceOf(OllamaProvider);
    const signal = new AbortController().signal;
    expect((await openai.generate(hello("gpt-4o-mini"), { signal, timeoutMs: 10_000 })).usage.input_tokens).toBeGreaterThan(0);
    expect((await ollama.generate(hello("llama3.2"), { signal, timeoutMs: 10_000 })).usage.input_tokens).toBeGreaterThan(0);
    // Every call detached from the run's long-lived signal: nothing accumulates per call.
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });

  it("leaves no listener on the caller's signal after failed calls either", async () => {
    const ollama = createProvider({ provider: "ollama", baseUrl: sim.ollamaHost });
    const openai = createProvider({ provider: "openai", apiKey: "sk-sim-key-abcdefgh", baseUrl: sim.openaiBaseUrl });
    const signal = new AbortController().signal;
    await expect(ollama.generate(hello("nope"), { signal, timeoutMs: 10_000 })).rejects.toMatchObject({ type: "model_not_found" });
    await expect(openai.generate(hello("nope"), { signal, timeoutMs: 10_000 })).rejects.toMatchObject({ type: "model_not_found" });
    expect(getEventListeners(signal, "abort")).toHaveLength(0);
  });
});

describe("maxTokensFieldFor", () => {
  it("uses max_completion_tokens on api.openai.com and for OpenAI reasoning models anywhere", () => {
    expect(maxTokensFieldFor("https://api.openai.com/v1", "gpt-4o-mini")).toBe("max_completion_tokens");
    expect(maxTokensFieldFor("http://127.0.0.1:8000/v1", "o3-mini")).toBe("max_completion_tokens");
    expect(maxTokensFieldFor("https://my-proxy.example/v1", "gpt-5-mini")).toBe("max_completion_tokens");
  });

  it("uses max_tokens for other models on OpenAI-compatible servers (Ollama /v1 reads only that)", () => {
    expect(maxTokensFieldFor("http://127.0.0.1:11434/v1", "llama3.2")).toBe("max_tokens");
    expect(maxTokensFieldFor("http://vllm:8000/v1", "gpt-4o-mini")).toBe("max_tokens");
    expect(maxTokensFieldFor("http://127.0.0.1:11434/v1", "gpt-oss:20b")).toBe("max_tokens");
  });
});
