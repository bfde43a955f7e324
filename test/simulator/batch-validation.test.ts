import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { toFile } from "openai";
import type OpenAI from "openai";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { chatLine, submit, waitFor } from "./batch-helpers.js";
import { openaiFixture } from "./helpers.js";

describe("batches that fail validation", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 5, finalizingMs: 5, maxRequests: 10, maxInputBytes: 4000 } })));
  afterAll(() => sim.close());

  async function failedWith(lines: unknown[]) {
    const batch = await waitFor(client, (await submit(client, lines)).id);
    expect(batch.status).toBe("failed");
    expect(batch.failed_at).toEqual(expect.any(Number));
    expect(batch.in_progress_at).toBeNull();
    expect(batch.output_file_id).toBeNull();
    expect(batch.errors?.object).toBe("list");
    return batch.errors?.data ?? [];
  }

  it("names a duplicate custom_id with its line", async () => {
    const errors = await failedWith([chatLine("a", "one"), chatLine("b", "two"), chatLine("a", "three")]);
    expect(errors).toEqual([{ code: "duplicate_custom_id", message: expect.stringContaining("duplicate"), param: "custom_id", line: 3 }]);
  });

  it("names a line whose url is not the batch's endpoint", async () => {
    const wrong = { ...chatLine("b", "two"), url: "/v1/embeddings" };
    expect(await failedWith([chatLine("a", "one"), wrong])).toEqual([{ code: "invalid_url", message: expect.any(String), param: "url", line: 2 }]);
  });

  it("refuses a second model in the same file", async () => {
    const other = chatLine("b", "two", { model: "gpt-4o" });
    expect(await failedWith([chatLine("a", "one"), other])).toEqual([{ code: "mismatched_model", message: expect.stringContaining("gpt-4o"), param: "body.model", line: 2 }]);
  });

  it("names a line that is not JSON, and one without custom_id, all in one list", async () => {
    const { custom_id: _, ...noId } = chatLine("x", "no id");
    const errors = await failedWith([chatLine("a", "one"), '{"custom_id": "b", "method": "POST"', noId, { ...chatLine("c", "three"), method: "GET" }]);
    expect(errors).toEqual([
      { code: "invalid_json_line", message: expect.any(String), param: null, line: 2 },
      { code: "missing_required_parameter", message: expect.stringContaining("custom_id"), param: "custom_id", line: 3 },
      { code: "invalid_method", message: expect.any(String), param: "method", line: 4 },
    ]);
  });

  it("refuses more lines than the limit, and a file larger than the byte limit", async () => {
    const eleven = Array.from({ length: 11 }, (_, i) => chatLine(`r${i}`, `line ${i}`));
    expect(await failedWith(eleven)).toEqual([{ code: "too_many_requests", message: expect.stringContaining("10"), param: null, line: null }]);
    const big = Array.from({ length: 5 }, (_, i) => chatLine(`r${i}`, "x".repeat(900)));
    expect(await failedWith(big)).toEqual([{ code: "file_too_large", message: expect.stringContaining("larger than the 4000 maximum for the gpt-4o-mini model"), param: null, line: null }]);
    expect(await failedWith([])).toEqual([{ code: "empty_file", message: expect.any(String), param: null, line: null }]);
  });

  it("judges request bodies per line, not at validation: a body the endpoint refuses is that line's 400", async () => {
    const batch = await waitFor(client, (await submit(client, [chatLine("good", "fine"), chatLine("bad", "bad", { temperature: "hot" }), chatLine("nomsg", "x", { messages: [] })])).id);
    expect(batch.status).toBe("completed");
    expect(batch.request_counts).toEqual({ total: 3, completed: 1, failed: 2 });
  });

  it("refuses uploads OpenAI refuses: a batch file not named .jsonl, a purpose it does not know, no file", async () => {
    await expect(client.files.create({ file: await toFile(Buffer.from("{}\n"), "input.json"), purpose: "batch" })).rejects.toMatchObject({ status: 400, param: "file" });
    await expect(client.files.create({ file: await toFile(Buffer.from("{}\n"), "input.jsonl"), purpose: "nope" as "batch" })).rejects.toMatchObject({ status: 400, param: "purpose" });
    const form = new FormData();
    form.set("purpose", "batch");
    const response = await fetch(`${sim.openaiBaseUrl}/files`, { method: "POST", body: form, headers: { authorization: "Bearer sk-test" } });
    expect(response.status).toBe(400);
    expect(await response.json()).toMatchObject({ error: { type: "invalid_request_error", param: "file", code: "missing_required_parameter" } });
  });
});

describe("uploads over the size limit", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { maxUploadBytes: 1000 } })));
  afterAll(() => sim.close());

  it("answer 413 file_too_large, and a file at the limit is stored", async () => {
    await expect(client.files.create({ file: await toFile(Buffer.alloc(1001, 0x61), "big.jsonl"), purpose: "batch" })).rejects.toMatchObject({ status: 413, code: "file_too_large" });
    const ok = await client.files.create({ file: await toFile(Buffer.alloc(1000, 0x61), "edge.jsonl"), purpose: "batch" });
    expect(ok.bytes).toBe(1000);
  });
});

describe("a server without a Batch API", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { enabled: false } })));
  afterAll(() => sim.close());

  it("answers 404 on /v1/files and /v1/batches, as a server without them does", async () => {
    await expect(client.files.create({ file: await toFile(Buffer.from("{}\n"), "a.jsonl"), purpose: "batch" })).rejects.toMatchObject({ status: 404 });
    await expect(client.batches.list()).rejects.toMatchObject({ status: 404 });
  });
});

describe("batch options", () => {
  it("refuse bad values with a RangeError naming the option, before listening", async () => {
    const { startSimulator } = await import("../../src/simulator/index.js");
    await expect(startSimulator({ quiet: true, batch: { lineFailureRate: 2 } })).rejects.toThrow(/batch\.lineFailureRate/);
    await expect(startSimulator({ quiet: true, batch: { linesPerSecond: 0 } })).rejects.toThrow(/batch\.linesPerSecond/);
    await expect(startSimulator({ quiet: true, batch: { faults: { createDroppedFirst: 1.5 } } })).rejects.toThrow(/createDroppedFirst/);
    await expect(startSimulator({ quiet: true, batch: { enqueuedTokenLimit: { "gpt-4o": -1 } } })).rejects.toThrow(/enqueuedTokenLimit\.gpt-4o/);
  });
});
