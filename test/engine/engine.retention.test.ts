/**
 * DESIGN: "memory stays O(concurrency), never O(batch)". The engine must let go of each record
 * and its result once the result is taken, while the run goes on: nothing per record may be kept
 * until the end (lists, listeners, promise chains). Checked with WeakRefs and a full GC.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { InputRecord, LlmResponse, Provider } from "../../src/types.js";

// A full GC without starting node with --expose-gc: the flag applies to contexts created after it.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Answers every request after a tick and remembers nothing. */
const provider: Provider = {
  name: "openai",
  generate: () =>
    new Promise<LlmResponse>((resolve) => setImmediate(() => resolve({ text: "ok", finishReason: "stop", model: "gpt-4o-mini", usage: { input_tokens: 3, output_tokens: 1, cached_tokens: 0 } }))),
};

async function fullGc(): Promise<void> {
  // WeakRefs are cleared only after the job that created or read them; collect twice across ticks.
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setTimeout(r, 0));
    gc();
  }
}

describe("GenerationEngine memory", () => {
  it.each([false, true])("keeps no record or result once it was taken (ordered: %s)", async (ordered) => {
    const concurrency = 8;
    const engine = new GenerationEngine({ pipeline: defaultPipeline(), provider: () => provider, prices: loadPriceTable(), concurrency, ordered, includeInput: true });
    const recordRefs: WeakRef<InputRecord>[] = [];
    const resultRefs: WeakRef<object>[] = [];
    function* records(): Generator<InputRecord> {
      for (let i = 1; i <= 3000; i++) {
        const record: InputRecord = { id: `r${i}`, line: i, prompt: `prompt ${i}`, vars: { prompt: `prompt ${i}`, n: i } };
        recordRefs.push(new WeakRef(record));
        yield record;
      }
    }
    let taken = 0;
    let alive: { records: number; results: number } | undefined;
    for await (const result of engine.run(records())) {
      resultRefs.push(new WeakRef(result));
      if (++taken !== 2000) continue;
      // Mid-run, with the producer and requests still going: everything from before the window
      // of records the engine may legitimately hold (in flight, or waiting to be reordered) is gone.
      await fullGc();
      const settled = taken - concurrency * 10;
      alive = {
        records: recordRefs.slice(0, settled).filter((r) => r.deref() !== undefined).length,
        results: resultRefs.slice(0, settled).filter((r) => r.deref() !== undefined).length,
      };
    }
    expect(taken).toBe(3000);
    // Kept per record, ~1,900 of each would be alive. V8 itself may hold on to a stray few (objects
    // its optimized code or inline caches last saw), at random positions: bounded, not per record.
    expect(alive!.records).toBeLessThan(concurrency);
    expect(alive!.results).toBeLessThan(concurrency);
  });
});
