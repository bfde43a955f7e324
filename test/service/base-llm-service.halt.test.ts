import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { runPipeline } from "../../src/run/run-pipeline.js";
import { BaseLLMService, type LLMServiceOptions } from "../../src/service/base-llm-service.js";
import { startSimulator, type SimulatorOptions } from "../../src/simulator/index.js";
import type { GenerationResult } from "../../src/types.js";
import { collect } from "../engine/fake-provider.js";

class Answers extends BaseLLMService {
  answer(prompt: string) {
    return this.generate(prompt);
  }
}

const CALLS = 10;
const CONCURRENCY = 4;
const prompts = Array.from({ length: CALLS }, (_, i) => `Answer question ${i + 1}: how do I reset my password?`);

type Connections = NonNullable<LLMServiceOptions["connections"]>;

/** What a run of the prompts leaves behind: each result as `id type: message`, and what reached the server. */
interface Seen {
  results: string[];
  requests: number;
  maxInFlight: number;
}

async function observe(
  server: SimulatorOptions,
  model: string,
  connect: (sim: { openaiBaseUrl: string; ollamaHost: string }) => Connections,
  run: (model: string, connections: Connections) => Promise<GenerationResult[]>,
): Promise<Seen> {
  const sim = await startSimulator({ quiet: true, latencyMs: [20, 30], ...server });
  try {
    const results = await run(model, connect(sim));
    const stats = sim.stats();
    return { results: results.map((r) => `${r.id} ${r.ok ? "ok" : `${r.error?.type}: ${r.error?.message}`}`).sort(), requests: stats.requests, maxInFlight: stats.maxInFlight };
  } finally {
    await sim.close();
  }
}

// The ids the service gives its calls (`req-1`, …), so both runs' results can be compared line by line.
const viaEngine = (model: string, connections: Connections) =>
  collect(
    runPipeline(
      { ...defaultPipeline(), model },
      prompts.map((prompt, i) => ({ id: `req-${i + 1}`, prompt })),
      { connections, concurrency: CONCURRENCY },
    ),
  );

async function viaService(model: string, connections: Connections): Promise<GenerationResult[]> {
  const service = new Answers({ model, connections, concurrency: CONCURRENCY });
  try {
    return await Promise.all(prompts.map((p) => service.answer(p)));
  } finally {
    const summary = await service.close();
    expect(summary.exit_code).toBe(3);
    expect(summary.stopped_reason).toMatch(/^fatal: /);
  }
}

describe("BaseLLMService halts on a fatal error as a pipeline run does", () => {
  it("a rejected API key: the same failures, the same not-attempted results, the same requests sent", async () => {
    const server = { apiKey: "sk-right" };
    const connect = (sim: { openaiBaseUrl: string }) => ({ openai: { apiKey: "sk-wrong", baseUrl: sim.openaiBaseUrl } });
    const engine = await observe(server, "gpt-4o-mini", connect, viaEngine);
    const service = await observe(server, "gpt-4o-mini", connect, viaService);
    expect(engine.results.filter((r) => r.includes(" auth: "))).not.toEqual([]);
    expect(engine.results.filter((r) => r.includes(" not_attempted: not attempted: fatal: auth: "))).not.toEqual([]);
    expect(service).toEqual(engine);
  });

  it("a model the Ollama server does not have: the same results, and no more requests at once than the engine's", async () => {
    const server = { models: ["llama3.2"] };
    const connect = (sim: { ollamaHost: string }) => ({ ollama: { host: sim.ollamaHost } });
    const engine = await observe(server, "ollama:mistral-nemo", connect, viaEngine);
    const service = await observe(server, "ollama:mistral-nemo", connect, viaService);
    expect(engine.results.filter((r) => r.includes(" model_not_found: "))).not.toEqual([]);
    expect(engine.results.filter((r) => r.includes(" not_attempted: not attempted: fatal: model_not_found: "))).not.toEqual([]);
    expect(service).toEqual(engine);
  });
});

describe("BaseLLMService's run signals", () => {
  it("bound their listeners by the concurrency, as the engine's do: many calls waiting at the gates raise no leak warning", async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => void warnings.push(`${w.name}: ${w.message}`);
    process.on("warning", onWarning);
    const sim = await startSimulator({ quiet: true, latencyMs: [5, 10] });
    // 32 calls in flight, most of them queued at a 1,200-a-minute gate: each listens on the stop signal.
    const service = new Answers({ connections: { openai: { apiKey: "sk-test", baseUrl: sim.openaiBaseUrl } }, concurrency: 32, rpm: 1_200 });
    try {
      const results = await Promise.all(Array.from({ length: 40 }, (_, i) => service.answer(`question ${i}`)));
      expect(results.every((r) => r.ok)).toBe(true);
      // Warnings are emitted on the next tick.
      await new Promise((r) => setImmediate(r));
      expect(warnings.filter((w) => w.startsWith("MaxListenersExceededWarning"))).toEqual([]);
    } finally {
      process.off("warning", onWarning);
      await service.close();
      await sim.close();
    }
  });
});
