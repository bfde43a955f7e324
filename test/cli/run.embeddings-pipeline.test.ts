/**
 * `method: embed` in pipelines: an embed step after a generate step embeds that step's output, and
 * Ollama embeds through ollama-js's `embed` on `/api/embed`. Embeddings request lines run on Ollama
 * too, with what Ollama cannot do refused by name before anything is sent.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ recordRequests: true, seed: 3 });
const norm = (v: number[]): number => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const isVector = (v: unknown, length: number): boolean => Array.isArray(v) && v.length === length && v.every((x) => typeof x === "number");
const tickets = (n: number): string => `${readFileSync(join(ROOT, "samples/tickets.jsonl"), "utf8").trim().split("\n").slice(0, n).join("\n")}\n`;

describe("an embed step in a pipeline", () => {
  it("embeds the summary the step before it wrote (pipelines/ticket-vectors.yaml)", async () => {
    sim().resetStats();
    const dir = tempDir();
    const input = writeTemp(dir, "tickets.jsonl", tickets(4));
    const summary = join(dir, "summary.json");
    const r = await runCli(["run", input, "-p", "pipelines/ticket-vectors.yaml", "-q", "--ordered", "--summary", summary], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(4);
    const embedded = sim()
      .requests()
      .filter((q) => q.path === "/v1/embeddings")
      .map((q) => q.body as Record<string, any>);
    expect(embedded).toHaveLength(4);
    for (const line of out) {
      const [first, second] = line.steps;
      expect(first).toMatchObject({ id: "summary", ok: true, model: "gpt-4o-mini" });
      expect(second).toMatchObject({ id: "vector", ok: true, model: "text-embedding-3-small", usage: { output_tokens: 0 } });
      // What was embedded is the summary's text, shortened to 256 dimensions as the step asks.
      expect(embedded).toContainEqual({ model: "text-embedding-3-small", input: first.output, dimensions: 256, encoding_format: "base64" });
      expect(isVector(line.output, 256)).toBe(true);
      expect(norm(line.output)).toBeCloseTo(1, 5);
      expect(line).toMatchObject({ ok: true, attempts: 2, model: "text-embedding-3-small" });
      expect(line.usage.input_tokens).toBe(first.usage.input_tokens + second.usage.input_tokens);
    }
    const s = JSON.parse(readFileSync(summary, "utf8"));
    expect(Object.keys(s.cost_by_step).sort()).toEqual(["summary", "vector"]);
    expect(Object.keys(s.cost_by_model).sort()).toEqual(["gpt-4o-mini", "text-embedding-3-small"]);
  });

  it("is estimated at its input tokens (the summary's assumed length) with no output", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "tickets.jsonl", tickets(4));
    const r = await runCli(["estimate", input, "-p", "pipelines/ticket-vectors.yaml", "--json"]);
    expect(r.code, r.stderr).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.calls).toBe(8);
    // The summary's text is unknown until the run: its assumed length stands in for it (half its
    // max_tokens of 60, the estimate's typical output without --assume-output).
    expect(e.by_step.vector).toMatchObject({ calls: 4, input_tokens: 4 * 30, output_tokens_assumed: 0, output_tokens_max: 0 });
    expect(e.by_step.vector.cost_usd.max).toBeCloseTo((4 * 30 * 0.02) / 1e6, 12);
    expect(e.by_step.summary.output_tokens_max).toBe(4 * 60);
  });

  it("embeds a list of templates in one request, a vector each, in order", async () => {
    sim().resetStats();
    const dir = tempDir();
    const pipeline = writeTemp(
      dir,
      "fields.yaml",
      ["name: fields", "steps:", "  - id: vectors", "    method: embed", "    model: text-embedding-3-large", '    input: ["{{customer}}", "{{text}}"]', ""].join("\n"),
    );
    const input = writeTemp(dir, "tickets.jsonl", tickets(2));
    const r = await runCli(["run", input, "-p", pipeline, "-q", "--ordered"], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const [first] = jsonLines(r.stdout);
    expect(first!.output).toHaveLength(2);
    for (const v of first!.output) expect(isVector(v, 3072)).toBe(true);
    const sent = sim().requests()[0]!.body as Record<string, any>;
    expect(sent.input).toEqual(["acme-corp", expect.stringContaining("charged twice")]);
  });

  it("embeds on Ollama through /api/embed, free, its usage the server's prompt_eval_count", async () => {
    sim().resetStats();
    const dir = tempDir();
    const pipeline = writeTemp(
      dir,
      "local.yaml",
      ["name: local-vectors", "steps:", "  - id: vector", "    method: embed", "    model: ollama:nomic-embed-text", "    input: '{{text}}'", ""].join("\n"),
    );
    const input = writeTemp(dir, "tickets.jsonl", tickets(3));
    const r = await runCli(["run", input, "-p", pipeline, "-q"], { env: { OLLAMA_HOST: sim().ollamaHost } });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    expect(
      sim()
        .requests()
        .every((q) => q.path === "/api/embed"),
    ).toBe(true);
    for (const line of out) {
      expect(line).toMatchObject({ ok: true, provider: "ollama", model: "nomic-embed-text", cost_usd: 0, usage: { output_tokens: 0 } });
      expect(isVector(line.output, 768)).toBe(true);
      expect(norm(line.output)).toBeCloseTo(1, 5);
      expect(line.usage.input_tokens).toBeGreaterThan(0);
    }
    expect(out.reduce((n, o) => n + o.usage.input_tokens, 0)).toBe(sim().stats().inputTokens);
  });
});

describe("embeddings request lines on Ollama", () => {
  it("sends text and dimensions to /api/embed, and refuses base64 and OpenAI-only fields by name without sending them", async () => {
    sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "local.jsonl",
      jsonl([
        { id: "plain", model: "nomic-embed-text", input: "Waterproof trail runner, 8 mm drop." },
        { id: "short", model: "nomic-embed-text", input: ["Down jacket", "Merino base layer"], dimensions: 64 },
        { id: "b64", model: "nomic-embed-text", input: "Hydration vest", encoding_format: "base64" },
        { id: "user", model: "nomic-embed-text", input: "Hydration vest", user: "indexer-7" },
        { id: "tokens", model: "nomic-embed-text", input: [1734, 2201, 88] },
      ]),
    );
    const r = await runCli(["run", file, "--provider", "ollama", "-q"], { env: { OLLAMA_HOST: sim().ollamaHost } });
    expect(r.code).toBe(1);
    const out = new Map(jsonLines(r.stdout).map((o) => [o.id, o]));
    expect(isVector(out.get("plain")!.output, 768)).toBe(true);
    const short = out.get("short")!.output;
    expect(short).toHaveLength(2);
    for (const v of short) expect(isVector(v, 64)).toBe(true);
    expect(
      sim()
        .requests()
        .map((q) => q.body),
    ).toEqual([
      { model: "nomic-embed-text", input: "Waterproof trail runner, 8 mm drop." },
      { model: "nomic-embed-text", input: ["Down jacket", "Merino base layer"], dimensions: 64 },
    ]);
    for (const [id, named] of [
      ["b64", 'encoding_format: "base64"'],
      ["user", 'user: "indexer-7"'],
      ["tokens", "token ids"],
    ] as const) {
      const line = out.get(id)!;
      expect(line).toMatchObject({ ok: false, attempts: 0, error: { type: "bad_request", retriable: false } });
      expect(line.error.message).toContain(named);
    }
  });
});
