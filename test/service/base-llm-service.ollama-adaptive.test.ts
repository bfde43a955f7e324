import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { runPipeline } from "../../src/run/run-pipeline.js";
import { BaseLLMService, type LLMServiceOptions } from "../../src/service/base-llm-service.js";
import { startSimulator, type SimulatorOptions, type SimulatorStats } from "../../src/simulator/index.js";
import type { GenerationResult } from "../../src/types.js";
import { collect } from "../engine/fake-provider.js";

class Notes extends BaseLLMService {
  note(text: string) {
    return this.generate({ prompt: `Summarize in five words: ${text}`, params: { max_tokens: 20 } });
  }
}

// Two slots and a short queue: more than 2 + 8 requests at the server at once get 503 "server busy".
const SLOTS = 2;
const QUEUE = 8;
const SERVER: SimulatorOptions = { quiet: true, latencyMs: [20, 40], ollama: { numParallel: SLOTS, maxQueue: QUEUE } };
const CALLS = 40;
// Far above what the server takes: only adaptive concurrency keeps the requests within it.
const CONCURRENCY = 32;
const texts = Array.from({ length: CALLS }, (_, i) => `ticket ${i}: the export button fails on page ${i}`);

async function withSimulator(run: (host: string) => Promise<GenerationResult[]>): Promise<{ results: GenerationResult[]; stats: SimulatorStats }> {
  const sim = await startSimulator(SERVER);
  try {
    const results = await run(sim.ollamaHost);
    return { results, stats: sim.stats() };
  } finally {
    await sim.close();
  }
}

describe("BaseLLMService against an Ollama server with few slots", () => {
  it("keeps within the server's parallelism as a pipeline run does: no 503, never more at the server than it takes", async () => {
    // The reference: the same calls as a pipeline run through the engine.
    const engine = await withSimulator((host) =>
      collect(
        runPipeline(
          { ...defaultPipeline(), model: "ollama:llama3.2", params: { max_tokens: 20 } },
          texts.map((text) => ({ prompt: `Summarize in five words: ${text}` })),
          { connections: { ollama: { host } }, concurrency: CONCURRENCY, maxRetries: 0 },
        ),
      ),
    );
    const service = await withSimulator(async (host) => {
      const options: LLMServiceOptions = { model: "ollama:llama3.2", connections: { ollama: { host } }, concurrency: CONCURRENCY, maxRetries: 0 };
      const s = new Notes(options);
      try {
        return await Promise.all(texts.map((t) => s.note(t)));
      } finally {
        await s.close();
      }
    });
    for (const run of [engine, service]) {
      expect(run.results.filter((r) => !r.ok).map((r) => r.error)).toEqual([]);
      expect(run.stats.byStatus["503"] ?? 0).toBe(0);
      expect(run.stats.requests).toBe(CALLS);
      expect(run.stats.maxInFlight).toBeLessThanOrEqual(SLOTS + QUEUE);
    }
  });

  it("sends at the run's concurrency when adaptive concurrency is off, as the engine's option does", async () => {
    const service = await withSimulator(async (host) => {
      const s = new Notes({ model: "ollama:llama3.2", connections: { ollama: { host } }, concurrency: CONCURRENCY, maxRetries: 0, adaptiveConcurrency: false });
      try {
        return await Promise.all(texts.map((t) => s.note(t)));
      } finally {
        await s.close();
      }
    });
    // The server refuses what does not fit: the 503s are the proof the limit above is doing the work.
    expect(service.stats.byStatus["503"] ?? 0).toBeGreaterThan(0);
    expect(service.results.filter((r) => !r.ok).every((r) => r.error?.type === "overloaded")).toBe(true);
  });
});
