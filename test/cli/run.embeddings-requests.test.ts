/**
 * Embeddings request files as people have them, run without a pipeline: the OpenAI cookbook's
 * `{"model": "text-embedding-3-small", "input": "…", "metadata": …}` lines and Batch API lines for
 * `/v1/embeddings`. Each line is sent as its own request through the real openai client, and its
 * vector (or vectors) is the record's output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { jsonl, jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const COOKBOOK = "test/fixtures/embeddings-requests.jsonl";
const BATCH = "test/fixtures/batch-embeddings.jsonl";
const fixture = (path: string): Record<string, any>[] => jsonLines(readFileSync(join(ROOT, path), "utf8"));
const { sim, env } = useSimulator({ recordRequests: true, seed: 5 });

const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const isVector = (v: unknown, length: number): boolean => Array.isArray(v) && v.length === length && v.every((x) => typeof x === "number");
/** OpenAI's base64 embedding: little-endian float32 values. */
const decode = (text: string): number[] => {
  const bytes = Buffer.from(text, "base64");
  return Array.from({ length: bytes.length / 4 }, (_, i) => bytes.readFloatLE(i * 4));
};

describe("run: a cookbook embeddings request file", () => {
  it("sends each line as its embeddings request and writes its vector, usage, cost and metadata", async () => {
    sim().resetStats();
    const r = await runCli(["run", COOKBOOK, "-q"], { env: env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = fixture(COOKBOOK);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(lines.length);
    const received = sim().requests();
    expect(received.every((q) => q.path === "/v1/embeddings")).toBe(true);
    expect(received).toHaveLength(lines.length);

    for (const line of lines) {
      const { metadata, ...request } = line;
      const result = out.find((o) => JSON.stringify(o.metadata) === JSON.stringify(metadata))!;
      expect(result, `a result with metadata ${JSON.stringify(metadata)}`).toBeDefined();
      // Sent as written, `user` included; metadata is the cookbook's join key, never sent. Floats come
      // over the wire as base64 (what openai-node asks for by default) and are decoded.
      const sent = received.map((q) => q.body as Record<string, any>).find((b) => JSON.stringify(b.input) === JSON.stringify(line.input));
      expect(sent).toEqual({ ...request, encoding_format: "base64" });
      expect(result).toMatchObject({ ok: true, model: line.model, provider: "openai", attempts: 1 });
      expect(result.finish_reason).toBeUndefined();
      expect(result.usage.output_tokens).toBe(0);
      expect(result.usage.input_tokens).toBeGreaterThan(0);
      expect(result.steps).toMatchObject([{ id: "embed", ok: true, model: line.model }]);
    }

    const byRow = new Map(out.map((o) => [o.metadata.row_id, o]));
    // One text, one vector: 1536 floats for -3-small, unit length.
    const shirt = byRow.get(1)!;
    expect(isVector(shirt.output, 1536)).toBe(true);
    expect(norm(shirt.output)).toBeCloseTo(1, 5);
    // `dimensions` shortens -3-large's 3072.
    expect(isVector(byRow.get(5)!.output, 256)).toBe(true);
    // A list of texts, a list of vectors in the same order, all different.
    const bundle = byRow.get(6)!.output;
    expect(bundle).toHaveLength(3);
    for (const v of bundle) expect(isVector(v, 1536)).toBe(true);
    expect(new Set(bundle.map((v: number[]) => v[0])).size).toBe(3);

    // Priced from the table: text-embedding-3-small at $0.02 and -3-large at $0.13 per 1M input tokens.
    for (const o of out) {
      const price = o.model === "text-embedding-3-large" ? 0.13 : 0.02;
      expect(o.cost_usd).toBeCloseTo((o.usage.input_tokens * price) / 1e6, 12);
    }
    // Usage is what the server counted, record by record.
    expect(out.reduce((n, o) => n + o.usage.input_tokens, 0)).toBe(sim().stats().inputTokens);
  });

  it("puts the embeddings cost in the summary by model, with no output tokens", async () => {
    const dir = tempDir();
    const summary = join(dir, "summary.json");
    const r = await runCli(["run", COOKBOOK, "-q", "-o", join(dir, "out.jsonl"), "--summary", summary], { env: env() });
    expect(r.code).toBe(0);
    const s = JSON.parse(readFileSync(summary, "utf8"));
    const out = jsonLines(readFileSync(join(dir, "out.jsonl"), "utf8"));
    const small = out.filter((o) => o.model === "text-embedding-3-small").reduce((n, o) => n + o.usage.input_tokens, 0);
    const large = out.filter((o) => o.model === "text-embedding-3-large").reduce((n, o) => n + o.usage.input_tokens, 0);
    expect(s.usage).toEqual({ input_tokens: small + large, output_tokens: 0, cached_tokens: 0 });
    expect(s.cost_by_model["text-embedding-3-small"]).toBeCloseTo((small * 0.02) / 1e6, 9);
    expect(s.cost_by_model["text-embedding-3-large"]).toBeCloseTo((large * 0.13) / 1e6, 9);
    expect(s.unpriced_models).toEqual([]);
    expect(s.cost_by_step).toHaveProperty("embed");
  });

  it("estimates the file's input tokens and cost with no output, as the run charges them", async () => {
    const run = await runCli(["run", COOKBOOK, "-q"], { env: env() });
    const tokens = jsonLines(run.stdout).reduce((n, o) => n + o.usage.input_tokens, 0);
    const cost = jsonLines(run.stdout).reduce((n, o) => n + o.cost_usd, 0);
    const r = await runCli(["estimate", COOKBOOK, "--json"]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ records: 6, invalid_records: 0, calls: 6, input_tokens: tokens, output_tokens_assumed: 0, output_tokens_max: 0 });
    expect(e.cost_usd.max).toBeCloseTo(cost, 9);
    expect(e.cost_usd.expected).toBeCloseTo(cost, 9);
    expect(Object.keys(e.by_model).sort()).toEqual(["text-embedding-3-large", "text-embedding-3-small"]);
    expect(e.assumptions.output).toContain("embeddings calls write no output tokens");
  });

  it("writes the vector as a JSON array cell in CSV output", async () => {
    const dir = tempDir();
    const csv = join(dir, "vectors.csv");
    const r = await runCli(["run", COOKBOOK, "-q", "--ordered", "-o", csv], { env: env() });
    expect(r.code).toBe(0);
    const rows = parse(readFileSync(csv, "utf8"), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(6);
    const first = JSON.parse(rows[0]!.output!);
    expect(isVector(first, 1536)).toBe(true);
    expect(norm(first)).toBeCloseTo(1, 5);
    expect(rows[0]!.output_tokens).toBe("0");
    expect(rows[0]!.finish_reason).toBe("");
    const bundle = JSON.parse(rows[5]!.output!);
    expect(bundle).toHaveLength(3);
  });
});

describe("run: Batch API lines for /v1/embeddings", () => {
  it("sends each body as it is, names results by custom_id and honours dimensions and list inputs", async () => {
    sim().resetStats();
    const r = await runCli(["run", BATCH, "-q"], { env: env() });
    expect(r.code).toBe(0);
    const lines = fixture(BATCH);
    const sent = sim()
      .requests()
      .map((q) => q.body);
    for (const line of lines) expect(sent).toContainEqual(line.body);
    const out = new Map(jsonLines(r.stdout).map((o) => [o.id, o]));
    expect([...out.keys()].sort()).toEqual(["review-881", "review-882", "review-883", "review-884"]);
    expect(isVector(out.get("review-881")!.output, 1536)).toBe(true);
    expect(isVector(out.get("review-883")!.output, 512)).toBe(true);
    const pair = out.get("review-884")!.output;
    expect(pair).toHaveLength(2);
    for (const v of pair) expect(isVector(v, 3072)).toBe(true);
    for (const o of out.values()) expect(o).toMatchObject({ ok: true, usage: { output_tokens: 0 } });
  });
});

describe("run: floats and base64", () => {
  it("gives the same floats whether the wire carried floats or base64, and keeps base64 text when a line asks for it", async () => {
    const text = "Linen duvet cover, queen size, stone washed for softness.";
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "formats.jsonl",
      jsonl([
        { id: "default", model: "text-embedding-3-small", input: text },
        { id: "float", model: "text-embedding-3-small", input: text, encoding_format: "float" },
        { id: "base64", model: "text-embedding-3-small", input: text, encoding_format: "base64" },
        { id: "base64-list", model: "text-embedding-3-small", input: [text, text], encoding_format: "base64" },
      ]),
    );
    const r = await runCli(["run", file, "-q"], { env: env() });
    expect(r.code).toBe(0);
    const out = new Map(jsonLines(r.stdout).map((o) => [o.id, o.output]));
    expect(isVector(out.get("default"), 1536)).toBe(true);
    expect(out.get("float")).toEqual(out.get("default"));
    expect(typeof out.get("base64")).toBe("string");
    expect(decode(out.get("base64"))).toEqual(out.get("float"));
    expect(out.get("base64-list")).toEqual([out.get("base64"), out.get("base64")]);
  });
});

describe("run: a file mixing chat and embeddings lines", () => {
  it("runs each line by its shape, and a refused line does not take the others down", async () => {
    sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "mixed.jsonl",
      jsonl([
        { model: "gpt-4o-mini", messages: [{ role: "user", content: "Write a one-line tagline for a linen duvet cover." }], max_tokens: 20, metadata: { row: "chat" } },
        { model: "text-embedding-3-small", input: "Linen duvet cover, queen size.", metadata: { row: "embedding" } },
        { custom_id: "old-model", method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-ada-002", input: "Linen duvet cover.", dimensions: 256 } },
        { model: "text-embedding-ada-002", input: "Linen duvet cover, king size.", metadata: { row: "ada" } },
      ]),
    );
    const r = await runCli(["run", file, "-q", "--ordered"], { env: env() });
    expect(r.code).toBe(1);
    const out = jsonLines(r.stdout);
    expect(
      sim()
        .requests()
        .map((q) => q.path),
    ).toEqual(expect.arrayContaining(["/v1/chat/completions", "/v1/embeddings"]));
    expect(out[0]).toMatchObject({ ok: true, metadata: { row: "chat" }, steps: [{ id: "generate" }] });
    expect(typeof out[0]!.output).toBe("string");
    expect(out[0]!.finish_reason).toBeDefined();
    expect(out[1]).toMatchObject({ ok: true, metadata: { row: "embedding" }, steps: [{ id: "embed" }] });
    expect(isVector(out[1]!.output, 1536)).toBe(true);
    // ada-002 cannot shorten its vectors: OpenAI's 400, not retried.
    expect(out[2]).toMatchObject({ id: "old-model", ok: false, attempts: 1, error: { type: "bad_request", status: 400, retriable: false } });
    expect(out[2]!.error.message).toContain("This model does not support specifying dimensions.");
    // ada-002 answers as text-embedding-ada-002-v2, which the table prices as ada-002 ($0.10 per 1M).
    expect(out[3]).toMatchObject({ ok: true, model: "text-embedding-ada-002" });
    expect(out[3]!.cost_usd).toBeCloseTo((out[3]!.usage.input_tokens * 0.1) / 1e6, 12);
    expect(out[3]!.cost_usd).toBeGreaterThan(0);
  });

  it("says how to make a line with input but no model an embeddings request, instead of hinting at a template", async () => {
    const r = await runCli(["run", "-", "-q", "-m", "text-embedding-3-small"], { env: env(), stdin: jsonl([{ input: "Linen duvet cover" }]) });
    expect(r.code).toBe(1);
    const [line] = jsonLines(r.stdout);
    expect(line).toMatchObject({ ok: false, attempts: 0, error: { type: "invalid_input" } });
    expect(line!.error.message).toContain('a line with "input" is an embeddings request only when it names its "model" too');
  });

  it("refuses an embeddings line under a template pipeline, naming the line", async () => {
    const r = await runCli(["run", COOKBOOK, "-q", "--template", "Describe: {{input}}", "--strict"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("embeddings-requests.jsonl:1: the line is an embeddings request body with its own input, model and parameters");
  });
});
