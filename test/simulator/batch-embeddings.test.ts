import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { readLines, submit, waitFor } from "./batch-helpers.js";
import { openaiFixture } from "./helpers.js";

describe("embeddings batches", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5 } })));
  afterAll(() => sim.close());

  it("answer each line with the synchronous route's body, usage included", async () => {
    const lines = Array.from({ length: 20 }, (_, i) => ({
      custom_id: `emb-${i}`,
      method: "POST",
      url: "/v1/embeddings",
      body: { model: "text-embedding-3-small", input: i % 2 ? `text ${i}` : [`a ${i}`, `b ${i}`], ...(i === 3 ? { dimensions: 64 } : {}) },
    }));
    const done = await waitFor(client, (await submit(client, lines, undefined, "/v1/embeddings")).id);
    expect(done).toMatchObject({ status: "completed", endpoint: "/v1/embeddings", model: "text-embedding-3-small", request_counts: { total: 20, completed: 20, failed: 0 } });
    const output = await readLines(client, done.output_file_id);
    for (const line of output) {
      const request = lines.find((l) => l.custom_id === line.custom_id)?.body;
      const sync = await client.embeddings.create({ ...(request as Record<string, unknown>), encoding_format: "float" } as never);
      expect(line.response.body).toEqual(JSON.parse(JSON.stringify(sync)));
    }
    expect(done.usage?.output_tokens).toBe(0);
    expect(sim.stats().batch.byModel["text-embedding-3-small"]?.requests).toBe(20);
  });

  it("refuses a chat line in an embeddings batch (its url) and an embeddings line's bad body per line", async () => {
    const chat = { custom_id: "c", method: "POST", url: "/v1/chat/completions", body: { model: "text-embedding-3-small", messages: [] } };
    const failed = await waitFor(client, (await submit(client, [chat], undefined, "/v1/embeddings")).id);
    expect(failed.errors?.data?.[0]).toMatchObject({ code: "invalid_url", line: 1 });
    const empty = { custom_id: "e", method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-small", input: "" } };
    const done = await waitFor(client, (await submit(client, [empty], undefined, "/v1/embeddings")).id);
    expect(done.request_counts).toEqual({ total: 1, completed: 0, failed: 1 });
    expect((await readLines(client, done.error_file_id))[0]?.response.status_code).toBe(400);
  });
});
