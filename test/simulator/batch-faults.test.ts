import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { APIConnectionError, toFile } from "openai";
import type OpenAI from "openai";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { chatLine, readLines, submit, upload, waitFor } from "./batch-helpers.js";
import { openaiFixture } from "./helpers.js";

describe("per-line failures", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5 } })));
  afterAll(() => sim.close());

  it("puts HTTP errors in the error file with their status and OpenAI's body, and a [[sim:fail:1]] line passes when sent again", async () => {
    const lines = [chatLine("ok", "fine"), chatLine("flaky", "[[sim:fail:1:500]] try twice"), chatLine("bad", "[[sim:bad_request]] never"), chatLine("busy", "[[sim:fail:1:503]] busy")];
    const done = await waitFor(client, (await submit(client, lines)).id);
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 4, completed: 1, failed: 3 });
    const errors = Object.fromEntries((await readLines(client, done.error_file_id)).map((l) => [l.custom_id, l]));
    expect(errors["flaky"]).toMatchObject({ error: null, response: { status_code: 500, body: { error: { type: "server_error" } } } });
    expect(errors["bad"]).toMatchObject({ error: null, response: { status_code: 400, body: { error: { type: "invalid_request_error", param: "messages" } } } });
    expect(errors["busy"]?.response.status_code).toBe(503);
    expect((await readLines(client, done.output_file_id)).map((l) => l.custom_id)).toEqual(["ok"]);

    const again = await waitFor(client, (await submit(client, [lines[1], lines[3]])).id);
    expect(again.request_counts).toEqual({ total: 2, completed: 2, failed: 0 });
    const stats = sim.stats().batch;
    expect(stats.executed["flaky"]).toBe(2);
    expect(stats.billed["flaky"]).toBe(1);
    expect(stats.billed["bad"]).toBeUndefined();
  });
});

describe("a random fraction of failed lines", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5, lineFailureRate: 0.3 } })));
  afterAll(() => sim.close());

  it("answers about that fraction with 500s, every line in exactly one of the two files", async () => {
    const lines = Array.from({ length: 400 }, (_, i) => chatLine(`f${i}`, `random ${i}`));
    const done = await waitFor(client, (await submit(client, lines)).id);
    const output = await readLines(client, done.output_file_id);
    const errors = await readLines(client, done.error_file_id);
    expect(errors.length).toBeGreaterThan(80);
    expect(errors.length).toBeLessThan(160);
    expect(errors.every((e) => e.response.status_code === 500)).toBe(true);
    expect([...output, ...errors].map((l) => l.custom_id).sort()).toEqual(lines.map((l) => l.custom_id).sort());
    expect(done.request_counts).toEqual({ total: 400, completed: output.length, failed: errors.length });
  });
});

describe("dropped responses", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5, faults: { createDroppedFirst: 1 } } })));
  afterAll(() => sim.close());

  it("creates the batch, then drops the connection: the client sees a network error, the batch is in the list and runs", async () => {
    const inputFileId = await upload(client, [chatLine("t1", "trap")]);
    const create = client.batches.create({ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { run: "trap", chunk: "0" } });
    await expect(create).rejects.toBeInstanceOf(APIConnectionError);
    const listed = (await client.batches.list({ limit: 100 })).data.filter((b) => b.metadata?.["run"] === "trap");
    expect(listed).toHaveLength(1);
    expect((await waitFor(client, listed[0]?.id ?? "")).status).toBe("completed");
    const stats = sim.stats().batch;
    expect(stats.createsDropped).toBe(1);
    expect(stats.created.map((b) => b.id)).toEqual([listed[0]?.id]);
    // Only the first create was armed: the next one answers.
    const next = await client.batches.create({ input_file_id: inputFileId, endpoint: "/v1/chat/completions", completion_window: "24h" });
    expect(next.status).toBe("validating");
  });

  it("drops an upload after storing it when armed with dropNext", async () => {
    sim.dropNext("upload");
    await expect(client.files.create({ file: await toFile(Buffer.from(`${JSON.stringify(chatLine("u", "up"))}\n`), "dropped.jsonl"), purpose: "batch" })).rejects.toBeInstanceOf(APIConnectionError);
    const files = await client.files.list();
    expect(files.data.filter((f) => f.filename === "dropped.jsonl")).toHaveLength(1);
    expect(sim.stats().batch.uploadsDropped).toBe(1);
  });
});
