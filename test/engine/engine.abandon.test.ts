import type { StopReason } from "../../src/engine/stop-reason.js";
import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { GenerationResult, InputRecord } from "../../src/types.js";
import { FakeProvider, reply } from "./fake-provider.js";

const records = (n: number): InputRecord[] => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, line: i + 1, prompt: `p${i}`, vars: { prompt: `p${i}` } }));

describe("GenerationEngine.abandon (the consumer of the results went away)", () => {
  it("stops reading the input but still yields the result of every record already started, each request answered", async () => {
    let read = 0;
    async function* source() {
      for (const r of records(500)) {
        read++;
        yield r;
      }
    }
    const p = new FakeProvider((prompt) => reply(`echo ${prompt}`, 20));
    const stops: StopReason[] = [];
    const engine = new GenerationEngine({ pipeline: defaultPipeline(), provider: () => p, prices: loadPriceTable(), concurrency: 6, onStop: (reason) => stops.push(reason) });
    const results: GenerationResult[] = [];
    for await (const r of engine.run(source())) {
      results.push(r);
      if (results.length === 3) engine.abandon({ kind: "output_closed" });
    }
    expect(stops).toEqual([{ kind: "output_closed" }]);
    expect(engine.stopReason).toBe("output closed: the reader of the results went away (EPIPE)");
    // Every request sent has its result, answered: nothing is lost from the count.
    expect(results.reduce((n, r) => n + r.attempts, 0)).toBe(p.requests.length);
    expect(results.filter((r) => r.ok).length).toBe(p.requests.length);
    expect(p.requests.length).toBeGreaterThan(3);
    // The input was not read to its end (a stop without abandon reads it all, as not_attempted).
    expect(read).toBeLessThan(30);
    expect(results.length).toBeLessThanOrEqual(read);
  });
});
