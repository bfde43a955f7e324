import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { estimateBatch, parsePipeline, registerProvider, resolveRunOptions, runPipeline, type GenerationResult } from "../../src/index.js";
import { tempDir, writeTemp } from "../helpers/cli.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { yaml } from "../config/helpers.js";
import { TINY, tinyKind } from "./tiny-compat-kind.js";

// Two servers: the kind's default endpoint on one, a named endpoint of the same kind on the other.
let home: SimulatorHandle;
let edge: SimulatorHandle;
let unregister: () => void;

beforeAll(async () => {
  [home, edge] = await Promise.all([startSimulator({ recordRequests: true, apiKey: "sk-tiny-home" }), startSimulator({ recordRequests: true, apiKey: "sk-tiny-edge" })]);
  unregister = registerProvider(tinyKind);
});
afterAll(async () => {
  unregister?.();
  await Promise.all([home?.close(), edge?.close()]);
});

async function collect(results: AsyncIterable<GenerationResult>): Promise<GenerationResult[]> {
  const out: GenerationResult[] = [];
  for await (const r of results) out.push(r);
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

describe("a provider kind registered from outside llmbatch", () => {
  it("runs a pipeline whose steps name it as a prefix and as an endpoint's provider", async () => {
    const pipeline = parsePipeline(
      yaml(
        "name: tiny-kind",
        "endpoints:",
        "  edge:",
        `    base_url: ${edge.openaiBaseUrl}`,
        `    provider: ${TINY}`,
        "    api_key_env: TINY_EDGE_KEY",
        "steps:",
        "  - id: draft",
        "    method: generate",
        `    model: ${TINY}:gpt-4o-mini`,
        "    prompt: 'Summarize: {{text}}'",
        "    params: {max_tokens: 40}",
        "  - id: polish",
        "    method: generate",
        "    model: edge:gpt-4o",
        "    prompt: 'Polish: {{steps.draft.output}}'",
        "    params: {max_tokens: 40}",
      ),
      "tiny.yaml",
    );
    const records = [
      { id: "a", text: "The parcel arrived two days late and the box was crushed." },
      { id: "b", text: "Support answered within minutes and fixed my login." },
      { id: "c", text: "The refund took three weeks to show up." },
    ];
    const results = await collect(runPipeline(pipeline, records, { connections: { [TINY]: { baseUrl: home.openaiBaseUrl, apiKey: "sk-tiny-home" }, edge: { apiKey: "sk-tiny-edge" } } }));

    expect(results.map((r) => [r.id, r.ok, r.error?.message])).toEqual([
      ["a", true, undefined],
      ["b", true, undefined],
      ["c", true, undefined],
    ]);
    // The record's provider is the endpoint of its last call; each step's model went to its own server.
    expect(results.every((r) => r.provider === "edge")).toBe(true);
    expect(results[0]!.steps.map((s) => [s.id, s.model])).toEqual([
      ["draft", "gpt-4o-mini"],
      ["polish", "gpt-4o"],
    ]);
    const models = (s: SimulatorHandle) => s.requests().map((r) => [r.path, (r.body as { model: string }).model]);
    expect(models(home)).toEqual(Array(3).fill(["/v1/chat/completions", "gpt-4o-mini"]));
    expect(models(edge)).toEqual(Array(3).fill(["/v1/chat/completions", "gpt-4o"]));
    // Priced like any other model of the table: the kind is not free.
    expect(results.every((r) => typeof r.cost_usd === "number" && r.cost_usd > 0)).toBe(true);
  });

  it("counts an estimate with the kind's own tokenizer", async () => {
    const input = writeTemp(tempDir(), "hindi.jsonl", `${JSON.stringify({ id: "h1", prompt: "कृपया मेरे ऑर्डर की स्थिति बताइए, यह दो सप्ताह से लंबित है।" })}\n`);
    const inputTokens = async (model: string) => (await estimateBatch({ input, options: resolveRunOptions({ model }, undefined) })).input_tokens;
    // gpt-4o-mini counts with o200k, gpt-4 with cl100k: the kind's encoding, not the model's name, decides.
    expect(await inputTokens(`${TINY}:gpt-4o-mini`)).toBe(await inputTokens("openai:gpt-4"));
    expect(await inputTokens(`${TINY}:gpt-4o-mini`)).not.toBe(await inputTokens("openai:gpt-4o-mini"));
  });

  it("is refused when registered twice, and its name must work as a model prefix", () => {
    expect(() => registerProvider(tinyKind)).toThrow(`provider kind "${TINY}" is already registered`);
    expect(() => registerProvider({ ...tinyKind, name: "Tiny:LLM" })).toThrow(/lowercase letters, digits/);
  });
});
