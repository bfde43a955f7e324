import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConflictError, NotFoundError } from "openai";
import type OpenAI from "openai";
import type { Batch } from "openai/resources/batches";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { chatLine, readLines, submit, waitFor } from "./batch-helpers.js";
import { openaiFixture } from "./helpers.js";

describe("listing batches", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5 } })));
  afterAll(() => sim.close());

  it("lists newest first with first_id, last_id and has_more, and the SDK's auto-pagination walks every batch once", async () => {
    const created: Batch[] = [];
    for (let i = 0; i < 7; i++) created.push(await submit(client, [chatLine(`c${i}`, `list ${i}`)], { run: "list-test", chunk: String(i) }));
    const newestFirst = created.map((b) => b.id).reverse();

    const page = await client.batches.list({ limit: 3 });
    expect(page.data.map((b) => b.id)).toEqual(newestFirst.slice(0, 3));
    const raw = await fetch(`${sim.openaiBaseUrl}/batches?limit=3`, { headers: { authorization: "Bearer sk-test" } });
    expect(await raw.json()).toMatchObject({ object: "list", first_id: newestFirst[0], last_id: newestFirst[2], has_more: true });

    const second = await client.batches.list({ limit: 3, after: newestFirst[2] });
    expect(second.data.map((b) => b.id)).toEqual(newestFirst.slice(3, 6));

    const walked: string[] = [];
    for await (const batch of client.batches.list({ limit: 2 })) walked.push(batch.id);
    expect(walked).toEqual(newestFirst);

    const found = walked.length === 7 ? (await client.batches.list({ limit: 100 })).data.find((b) => b.metadata?.["chunk"] === "4") : undefined;
    expect(found?.id).toBe(created[4]?.id);
    const last = await client.batches.list({ limit: 3, after: newestFirst[6] });
    expect(last.data).toEqual([]);
    expect(last.has_more).toBe(false);
  });

  it("answers 404 for an unknown batch, and refuses bad metadata with OpenAI's limits", async () => {
    await expect(client.batches.retrieve("batch_nope")).rejects.toBeInstanceOf(NotFoundError);
    const input = (await submit(client, [chatLine("m", "meta")])).input_file_id;
    const tooMany = Object.fromEntries(Array.from({ length: 17 }, (_, i) => [`k${i}`, "v"]));
    await expect(client.batches.create({ input_file_id: input, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: tooMany })).rejects.toMatchObject({
      status: 400,
      code: "object_above_max_properties",
    });
    await expect(client.batches.create({ input_file_id: input, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { ["k".repeat(65)]: "v" } })).rejects.toMatchObject({
      status: 400,
      code: "string_above_max_length",
    });
    await expect(client.batches.create({ input_file_id: input, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { k: "v".repeat(513) } })).rejects.toMatchObject({
      status: 400,
      param: "metadata.k",
    });
    await expect(client.batches.create({ input_file_id: input, endpoint: "/v1/chat/completions", completion_window: "48h" as "24h" })).rejects.toMatchObject({
      status: 400,
      param: "completion_window",
    });
    await expect(client.batches.create({ input_file_id: "file-missing", endpoint: "/v1/chat/completions", completion_window: "24h" })).rejects.toMatchObject({ status: 400, param: "input_file_id" });
    const ok = await client.batches.create({
      input_file_id: input,
      endpoint: "/v1/chat/completions",
      completion_window: "24h",
      metadata: Object.fromEntries(Array.from({ length: 16 }, (_, i) => [`k${i}`.padEnd(64, "x"), "v".repeat(512)])),
    });
    expect(Object.keys(ok.metadata ?? {})).toHaveLength(16);
  });
});

describe("cancelling a batch", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  // 100 lines a second: a 200-line batch is still running when the cancel arrives.
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, linesPerSecond: 100, cancellingMs: 50 } })));
  afterAll(() => sim.close());

  it("goes cancelling → cancelled with the lines done in the output file and the rest as batch_cancelled", async () => {
    const lines = Array.from({ length: 200 }, (_, i) => chatLine(`k-${i}`, `cancel me ${i}`));
    const batch = await submit(client, lines);
    await waitFor(client, batch.id, new Set(["in_progress"]));
    await new Promise((resolve) => setTimeout(resolve, 150));
    const cancelling = await client.batches.cancel(batch.id);
    expect(cancelling.status).toBe("cancelling");
    expect(cancelling.cancelling_at).toEqual(expect.any(Number));
    expect(cancelling.cancelled_at).toBeNull();
    const done = await waitFor(client, batch.id);
    expect(done.status).toBe("cancelled");
    expect(done.cancelled_at).toEqual(expect.any(Number));
    const ran = done.request_counts?.completed ?? 0;
    expect(ran).toBeGreaterThan(0);
    expect(ran).toBeLessThan(200);

    const output = await readLines(client, done.output_file_id);
    const errors = await readLines(client, done.error_file_id);
    expect(output).toHaveLength(ran);
    expect(errors).toHaveLength(200 - ran);
    for (const e of errors)
      expect(e).toEqual({ id: expect.stringMatching(/^batch_req_/), custom_id: expect.any(String), response: null, error: { code: "batch_cancelled", message: expect.any(String) } });
    const ids = [...output, ...errors].map((l) => l.custom_id).sort();
    expect(ids).toEqual(lines.map((l) => l.custom_id).sort());
    // The lines that ran are billed once each; the cancelled ones never.
    expect(Object.keys(sim.stats().batch.billed).sort()).toEqual(output.map((l) => l.custom_id).sort());
    // No line runs after the cancel.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await client.batches.retrieve(batch.id)).request_counts?.completed).toBe(ran);
  });

  it("refuses to cancel a finished batch with 409, and a second cancel of a cancelling batch answers it as it is", async () => {
    const small = await submit(client, [chatLine("s", "small")]);
    await waitFor(client, small.id);
    await expect(client.batches.cancel(small.id)).rejects.toBeInstanceOf(ConflictError);
    const big = await submit(
      client,
      Array.from({ length: 100 }, (_, i) => chatLine(`b-${i}`, `big ${i}`)),
    );
    await client.batches.cancel(big.id);
    expect((await client.batches.cancel(big.id)).status).toMatch(/^cancel/);
    expect((await waitFor(client, big.id)).status).toBe("cancelled");
  });
});

describe("cancelling a batch still validating", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 60_000, cancellingMs: 10 } })));
  afterAll(() => sim.close());

  it("ends cancelled with no lines run and no files", async () => {
    const batch = await submit(client, [chatLine("v1", "one"), chatLine("v2", "two")]);
    expect((await client.batches.cancel(batch.id)).status).toBe("cancelling");
    const done = await waitFor(client, batch.id);
    expect(done).toMatchObject({ status: "cancelled", in_progress_at: null, output_file_id: null, error_file_id: null, request_counts: { total: 0, completed: 0, failed: 0 } });
    expect(sim.stats().batch.linesRun).toBe(0);
  });
});

describe("holding batches", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5, linesPerSecond: 1000 } })));
  afterAll(() => sim.close());

  it("freezes every batch where it is, then lets it catch up at once with its schedule", async () => {
    sim.holdBatches(true);
    const batch = await submit(
      client,
      Array.from({ length: 50 }, (_, i) => chatLine(`h${i}`, `hold ${i}`)),
    );
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect((await client.batches.retrieve(batch.id)).status).toBe("validating");
    expect(sim.stats().batch.linesRun).toBe(0);
    sim.holdBatches(false);
    // 150 ms is past the whole schedule (5 + 50 + 5 ms): the first read after the release finds it done.
    const done = await client.batches.retrieve(batch.id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 50, completed: 50, failed: 0 });
  });
});
