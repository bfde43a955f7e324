/**
 * The batch backend's chunking and waves, with the engine and an in-memory Batch API of our own
 * interface (no HTTP): chunks fill up to `size`, a partial chunk goes once nothing else can
 * arrive, and a pipeline's second LLM step forms a second wave.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BatchBackend } from "../../src/batch/backend.js";
import { parsePipeline, type Pipeline } from "../../src/config/pipeline.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import type { GenerationResult, InputRecord } from "../../src/types.js";
import { FakeBatchApi, fakeBatchProvider } from "../helpers/fake-batch-api.js";
import { tempDir } from "../helpers/cli.js";

async function run(pipeline: Pipeline, n: number, size: number, capacity: number): Promise<{ api: FakeBatchApi; results: GenerationResult[] }> {
  const api = new FakeBatchApi();
  const provider = fakeBatchProvider(api);
  // No idle flush: only the collector's own rules may submit a partial chunk here.
  const backend = new BatchBackend({ size, maxBytes: 1e9, pollMs: 1, fallbackSync: false, idleMs: 600_000 });
  const engine = new GenerationEngine({ pipeline, provider: () => provider, prices: loadPriceTable(), concurrency: capacity, batch: backend, flow: backend });
  await backend.open({ output: join(tempDir(), "out.jsonl"), fingerprint: "f", resume: false, providers: [{ name: "openai", provider }], stop: engine.stopSignal, capacity });
  const records: InputRecord[] = Array.from({ length: n }, (_, i) => ({ id: `r${i}`, line: i + 1, vars: { text: `t${i}` } }));
  const results: GenerationResult[] = [];
  for await (const r of engine.run(records)) results.push(r);
  return { api, results };
}

const ONE_STEP = parsePipeline("name: one\nsteps:\n  - {id: a, method: generate, prompt: 'A {{text}}'}\n", "one.yaml");
const TWO_STEPS = parsePipeline(
  "name: two\nsteps:\n  - {id: a, method: generate, prompt: 'A {{text}}'}\n  - {id: up, method: convert, ops: [upper]}\n  - {id: b, method: generate, prompt: 'B {{steps.up.output}}'}\n",
  "two.yaml",
);

describe("the batch collector", () => {
  it("fills chunks up to the batch size, then sends the rest once the input is read", async () => {
    const { api, results } = await run(ONE_STEP, 25, 10, 100);
    expect(api.created.map((c) => c.length)).toEqual([10, 10, 5]);
    expect(results.every((r) => r.ok)).toBe(true);
    expect(new Set(api.created.flat()).size).toBe(25);
  });

  it("sends a partial chunk when every record the engine may run waits on a line", async () => {
    // 4 records at a time: each chunk holds the 4 waiting, though the batch size is 10.
    const { api, results } = await run(ONE_STEP, 12, 10, 4);
    expect(api.created.map((c) => c.length)).toEqual([4, 4, 4]);
    expect(results).toHaveLength(12);
  });

  it("runs a pipeline's second LLM step as a second wave, after the local step", async () => {
    const { api, results } = await run(TWO_STEPS, 6, 100, 100);
    expect(api.created.map((c) => c.length)).toEqual([6, 6]);
    // custom_id: the record, the number of its call, a hash of the request.
    expect(api.created[0]!.every((id) => /^r\d~1~/.test(id))).toBe(true);
    expect(api.created[1]!.every((id) => /^r\d~2~/.test(id))).toBe(true);
    expect(results.find((r) => r.id === "r3")!.output).toBe("echo: B ECHO: A T3");
  });
});
