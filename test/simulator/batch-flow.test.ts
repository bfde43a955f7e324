import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { chatLine, readLines, submit, upload, waitFor } from "./batch-helpers.js";
import { openaiFixture } from "./helpers.js";

describe("the Batch API flow through the openai client", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture({ batch: { validatingMs: 20, linesPerSecond: 5000, finalizingMs: 20 } })));
  afterAll(() => sim.close());

  it("uploads a JSONL file with every FileObject field and gives it back byte for byte", async () => {
    const id = await upload(client, [chatLine("a", "hello")]);
    const file = await client.files.retrieve(id);
    expect(file).toEqual({
      id,
      object: "file",
      bytes: expect.any(Number),
      created_at: expect.any(Number),
      filename: "input.jsonl",
      purpose: "batch",
      status: "processed",
      status_details: null,
      expires_at: file.created_at + 30 * 24 * 3600,
    });
    expect(id).toMatch(/^file-[A-Za-z0-9]{22}$/);
    const text = await (await client.files.content(id)).text();
    expect(text).toBe(`${JSON.stringify(chatLine("a", "hello"))}\n`);
    expect(file.bytes).toBe(Buffer.byteLength(text));
  });

  it("goes validating → in_progress → finalizing → completed, and each line's body is what the synchronous route answers", async () => {
    const lines = Array.from({ length: 300 }, (_, i) => chatLine(`req-${i}`, `Question number ${i}?`, i % 3 === 0 ? { max_completion_tokens: 9 } : {}));
    const created = await submit(client, lines, { run: "r1" });
    expect(created).toMatchObject({ object: "batch", status: "validating", endpoint: "/v1/chat/completions", completion_window: "24h", metadata: { run: "r1" }, errors: null });
    expect(created.id).toMatch(/^batch_[A-Za-z0-9]+$/);
    for (const field of ["in_progress_at", "finalizing_at", "completed_at", "failed_at", "expired_at", "cancelling_at", "cancelled_at", "output_file_id", "error_file_id"] as const) {
      expect(created[field], field).toBeNull();
    }
    expect(created.expires_at).toBe(created.created_at + 86_400);
    const seen: string[] = [created.status];
    const done = await waitFor(client, created.id, undefined, seen);
    const order = ["validating", "in_progress", "finalizing", "completed"];
    expect(seen).toEqual(order.filter((s) => seen.includes(s)));
    expect(done.status).toBe("completed");
    expect(done.request_counts).toEqual({ total: 300, completed: 300, failed: 0 });
    expect(done.model).toBe("gpt-4o-mini-2024-07-18");
    expect(done.error_file_id).toBeNull();
    for (const field of ["in_progress_at", "finalizing_at", "completed_at"] as const) expect(done[field], field).toEqual(expect.any(Number));
    expect(done.completed_at ?? 0).toBeGreaterThanOrEqual(done.in_progress_at ?? Number.POSITIVE_INFINITY);

    const output = await readLines(client, done.output_file_id);
    expect(output.map((l) => l.custom_id).sort()).toEqual(lines.map((l) => l.custom_id).sort());
    let inputTokens = 0;
    let outputTokens = 0;
    for (const line of output.slice(0, 40)) {
      expect(line).toMatchObject({ id: expect.stringMatching(/^batch_req_/), error: null, response: { status_code: 200, request_id: expect.stringMatching(/^[0-9a-f]{32}$/) } });
      const request = lines.find((l) => l.custom_id === line.custom_id)?.body;
      const sync = await client.chat.completions.create(request as never);
      const { id: _a, created: _b, ...batchBody } = line.response.body;
      const { id: _c, created: _d, ...syncBody } = sync as unknown as Record<string, unknown>;
      expect(batchBody).toEqual(syncBody);
    }
    for (const line of output) {
      inputTokens += line.response.body.usage.prompt_tokens;
      outputTokens += line.response.body.usage.completion_tokens;
    }
    expect(done.usage).toEqual({
      input_tokens: inputTokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: inputTokens + outputTokens,
    });
    const outFile = await client.files.retrieve(done.output_file_id ?? "");
    expect(outFile).toMatchObject({ purpose: "batch_output", filename: `${done.id}_output.jsonl` });
  });

  it("answers structured output, n choices and tool calls exactly as the synchronous route does", async () => {
    const schema = { type: "object", properties: { label: { type: "string", enum: ["a", "b"] }, score: { type: "number" } }, required: ["label", "score"], additionalProperties: false };
    const tool = { type: "function", function: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } }, required: ["q"] } } };
    const lines = [
      chatLine("schema", "Classify this.", { response_format: { type: "json_schema", json_schema: { name: "c", schema, strict: true } } }),
      chatLine("json", "Give JSON.", { response_format: { type: "json_object" } }),
      chatLine("n3", "Three ways.", { n: 3, max_completion_tokens: 12 }),
      chatLine("tool", "Look it up.", { tools: [tool], tool_choice: "required" }),
      chatLine("system", "Hi.", {
        messages: [
          { role: "system", content: "Be brief." },
          { role: "user", content: "Hi." },
        ],
        temperature: 0.2,
      }),
    ];
    const done = await waitFor(client, (await submit(client, lines)).id);
    expect(done.request_counts).toEqual({ total: lines.length, completed: lines.length, failed: 0 });
    for (const line of await readLines(client, done.output_file_id)) {
      const sync = (await client.chat.completions.create(lines.find((l) => l.custom_id === line.custom_id)?.body as never)) as unknown as Record<string, unknown>;
      const strip = ({ id: _i, created: _c, ...rest }: Record<string, unknown>) => rest;
      expect(strip(line.response.body), line.custom_id).toEqual(strip(sync));
    }
  });

  it("bills batch lines in their own pool, per custom_id, at batch prices, leaving the synchronous counters alone", async () => {
    sim.resetStats();
    const lines = Array.from({ length: 50 }, (_, i) => chatLine(`bill-${i}`, `Bill me ${i}`));
    const batch = await submit(client, lines, { run: "bill", chunk: "0" });
    const done = await waitFor(client, batch.id);
    const stats = sim.stats();
    expect(stats.requests).toBe(0);
    expect(stats.ok).toBe(0);
    expect(stats.batch.billed).toEqual(Object.fromEntries(lines.map((l) => [l.custom_id, 1])));
    expect(stats.batch.created).toEqual([expect.objectContaining({ id: batch.id, metadata: { run: "bill", chunk: "0" }, inputSha256: expect.stringMatching(/^[0-9a-f]{64}$/) })]);
    const bill = stats.batch.byModel["gpt-4o-mini"];
    expect(bill).toMatchObject({ requests: 50, inputTokens: done.usage?.input_tokens, outputTokens: done.usage?.output_tokens });
    // gpt-4o-mini's batch prices: 0.075 in, 0.3 out per 1M, half the synchronous 0.15 / 0.6.
    expect(bill?.costUsd).toBeCloseTo(((done.usage?.input_tokens ?? 0) * 0.075 + (done.usage?.output_tokens ?? 0) * 0.3) / 1e6, 12);
  });
});
