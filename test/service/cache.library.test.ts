/**
 * The response cache from the library: `runPipeline(…, { cache })` and `BaseLLMService({ cache })`,
 * with the real OpenAI client against the simulator.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BaseLLMService, runPipeline, type Pipeline } from "../../src/index.js";
import { tempDir, useSimulator } from "../helpers/cli.js";

const { sim } = useSimulator({ latencyMs: [1, 3], seed: 2 });

const pipeline: Pipeline = { name: "say", model: "gpt-4o-mini", params: { max_tokens: 20 }, limits: {}, steps: [{ id: "say", method: "generate", prompt: "Say {{text}}", params: {} }] };

class Sayer extends BaseLLMService {
  say(text: string) {
    return this.generate({ prompt: `Say ${text}`, params: { max_tokens: 20 } });
  }
}

describe("the cache from the library", () => {
  it("runPipeline: a second run over the same records sends nothing and costs 0", async () => {
    const dir = join(tempDir(), "cache");
    const connections = { openai: { apiKey: "sk-test", baseUrl: sim().openaiBaseUrl } };
    const rows = [
      { id: "1", text: "one" },
      { id: "2", text: "two" },
    ];
    const collect = async () => {
      const out = [];
      for await (const r of runPipeline(pipeline, rows, { connections, cache: { dir } })) out.push(r);
      return out.sort((a, b) => a.id.localeCompare(b.id));
    };
    sim().resetStats();
    const first = await collect();
    expect(sim().stats().requests).toBe(2);
    sim().resetStats();
    const second = await collect();
    expect(sim().stats().requests).toBe(0);
    expect(second.map((r) => r.output)).toEqual(first.map((r) => r.output));
    expect(second.map((r) => [r.cost_usd, r.steps[0]?.cached])).toEqual([
      [0, true],
      [0, true],
    ]);
  });

  it("BaseLLMService: cache: {dir} answers a call made before, and its summary counts hits and misses", async () => {
    const dir = join(tempDir(), "cache");
    const options = { connections: { openai: { apiKey: "sk-test", baseUrl: sim().openaiBaseUrl } }, cache: { dir, maxSize: "10MB", ttl: "1d" } };
    const first = new Sayer(options);
    const a = await first.say("hello");
    const s1 = await first.close();
    expect(s1.cache).toEqual({ hits: 0, misses: 1, saved_usd: 0 });

    sim().resetStats();
    const second = new Sayer(options);
    const b = await second.say("hello");
    const s2 = await second.close();
    expect(sim().stats().requests).toBe(0);
    expect(b.output).toBe(a.output);
    expect(b.saved_usd).toBe(a.cost_usd);
    expect(s2.cache).toEqual({ hits: 1, misses: 0, saved_usd: a.cost_usd });
    expect(s2.cost_usd).toBe(0);
  });

  it("a service without cache has cache: null in its summary", async () => {
    const s = new Sayer({ connections: { openai: { apiKey: "sk-test", baseUrl: sim().openaiBaseUrl } } });
    await s.say("x");
    expect((await s.close()).cache).toBeNull();
  });
});
