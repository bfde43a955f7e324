import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { chatLine, readLines, submit, waitFor } from "./batch-helpers.js";
import { openaiFixture } from "./helpers.js";

describe("expiry", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  // 100 lines a second and a 400 ms window: a 200-line batch expires part way through.
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, linesPerSecond: 100, completionWindowMs: 400 } })));
  afterAll(() => sim.close());

  it("ends expired with the lines done in the output file and the rest as batch_expired", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => chatLine(`e${i}`, `expire ${i}`));
    const created = await submit(client, lines);
    expect(created.expires_at).toBe(created.created_at + 1);
    const done = await waitFor(client, created.id);
    expect(done.status).toBe("expired");
    expect(done.expired_at).toEqual(expect.any(Number));
    expect(done.completed_at).toBeNull();
    const output = await readLines(client, done.output_file_id);
    const errors = await readLines(client, done.error_file_id);
    expect(output.length).toBeGreaterThan(0);
    expect(output.length).toBeLessThan(200);
    expect(done.request_counts).toEqual({ total: 200, completed: output.length, failed: 0 });
    expect(errors).toHaveLength(200 - output.length);
    for (const e of errors) expect(e).toMatchObject({ response: null, error: { code: "batch_expired" } });
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual(lines.map((l) => l.custom_id).sort());
  });
});

describe("the enqueued-token limit", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  const LIMIT = 2000;
  // Slow enough that the first batch is still in progress when the second one validates.
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, linesPerSecond: 50, finalizingMs: 5, enqueuedTokenLimit: { "gpt-4o-mini": LIMIT } } })));
  afterAll(() => sim.close());

  /** Lines whose prompt tokens (counted by the synchronous route, the same count) add up to about `tokens`. */
  async function linesOf(prefix: string, tokens: number) {
    const lines = [];
    let total = 0;
    for (let i = 0; total < tokens; i++) {
      const line = chatLine(`${prefix}${i}`, `Tell me about item ${prefix}${i}.`);
      const sync = await client.chat.completions.create(line.body as never);
      total += sync.usage?.prompt_tokens ?? 0;
      lines.push(line);
    }
    return { lines, total };
  }

  it("fails a batch with token_limit_exceeded while earlier batches of the model hold the pool, and passes it once they are done", async () => {
    const first = await linesOf("a", 1200);
    const second = await linesOf("b", 1200);
    expect(first.total + second.total).toBeGreaterThan(LIMIT);
    const a = await submit(client, first.lines);
    await waitFor(client, a.id, new Set(["in_progress"]));
    const b = await waitFor(client, (await submit(client, second.lines)).id);
    expect(b.status).toBe("failed");
    expect(b.errors?.data).toEqual([{ code: "token_limit_exceeded", message: expect.stringContaining("Enqueued token limit reached for gpt-4o-mini"), param: null, line: null }]);
    expect(b.errors?.data?.[0]?.message).toContain("Limit: 2,000 enqueued tokens");
    expect((await waitFor(client, a.id)).status).toBe("completed");
    const retried = await waitFor(client, (await submit(client, second.lines)).id);
    expect(retried.status).toBe("completed");
  });

  it("does not count other models, and fails a batch larger than the limit on its own", async () => {
    const other = (await linesOf("c", 1500)).lines.map((l) => ({ ...l, body: { ...l.body, model: "gpt-4o" } }));
    const big = await linesOf("d", LIMIT + 50);
    const o = await submit(client, other);
    const alone = await waitFor(client, (await submit(client, big.lines)).id);
    expect(alone.errors?.data?.[0]?.code).toBe("token_limit_exceeded");
    expect((await waitFor(client, o.id)).status).toBe("completed");
  });
});
