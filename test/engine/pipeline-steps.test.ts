import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { ProviderError } from "../../src/errors.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { GenerationResult, InputRecord, LlmRequest, LlmResponse } from "../../src/types.js";
import { yaml } from "../config/helpers.js";
import { collect, FakeProvider, reply } from "./fake-provider.js";

/** Runs `records` through a pipeline written as YAML lines, with a scripted provider. */
async function run(lines: string[], behave: (prompt: string, call: number, request: LlmRequest) => Promise<LlmResponse>, records: Record<string, unknown>[] = [{ text: "hello" }]) {
  const provider = new FakeProvider(behave);
  const pipeline = parsePipeline(yaml("name: t", "steps:", ...lines), "t.yaml");
  const engine = new GenerationEngine({ pipeline, provider: () => provider, prices: loadPriceTable(), retryTiming: { baseMs: 1, maxMs: 2 }, ordered: true });
  const input: InputRecord[] = records.map((vars, i) => ({ id: `r${i}`, line: i + 1, vars }));
  const results = await collect(engine.run(input));
  return { results, provider, first: results[0]! };
}

const step = (r: GenerationResult, id: string) => r.steps.find((s) => s.id === id);

describe("extract", () => {
  it("takes a JSON path from a text reply (code fences tolerated), a regex group, and the text between markers", async () => {
    const { first } = await run(
      [
        "  - {id: g, method: generate, prompt: 'x {{text}}'}",
        "  - {id: j, method: extract, from: g, json: '$.items[1].name'}",
        "  - {id: all, method: extract, from: g, json: '$.items[*].name'}",
        "  - {id: re, method: extract, from: g, regex: 'ref (?<ref>INV-\\d+)'}",
        "  - {id: bt, method: extract, from: g, between: ['<a>', '</a>']}",
      ],
      () => reply('Sure:\n```json\n{"items": [{"name": "a"}, {"name": "b"}], "note": "ref INV-22 <a>inner</a>"}\n```'),
    );
    expect(first.ok).toBe(true);
    expect(step(first, "j")!.output).toBe("b");
    expect(step(first, "all")!.output).toEqual(["a", "b"]);
    expect(step(first, "re")!.output).toBe("INV-22");
    expect(step(first, "bt")!.output).toBe("inner");
    expect(first.output).toBe("inner");
  });

  it("fails the record with pipeline_step when nothing matches, or gives null when optional", async () => {
    const { results } = await run(["  - {id: g, method: generate, prompt: '{{text}}'}", "  - {id: e, method: extract, regex: 'code=(\\d+)'}"], async (p) => reply(p), [
      { text: "code=42" },
      { text: "no code" },
    ]);
    expect(results[0]!.output).toBe("42");
    expect(results[1]!.ok).toBe(false);
    expect(results[1]!.error).toMatchObject({ type: "pipeline_step", retriable: false });
    expect(results[1]!.error!.message).toContain('step "e": regex /code=(\\d+)/ found nothing in "no code"');

    const optional = await run(["  - {id: g, method: generate, prompt: '{{text}}'}", "  - {id: e, method: extract, json: $.x, optional: true}"], () => reply('{"y": 1}'));
    expect(optional.first.ok).toBe(true);
    expect(optional.first.output).toBeNull();
  });

  it("says when the output is not JSON", async () => {
    const { first } = await run(["  - {id: g, method: generate, prompt: '{{text}}'}", "  - {id: e, method: extract, json: $.x}"], () => reply("not json at all"));
    expect(first.error!.type).toBe("pipeline_step");
    expect(first.error!.message).toMatch(/output of step "g" is not JSON/);
  });
});

describe("convert", () => {
  it("applies ops in order, item by item on lists, with map defaults and templates over the record", async () => {
    const { first } = await run(
      [
        "  - {id: g, method: generate, prompt: '{{text}}'}",
        "  - id: c",
        "    method: convert",
        "    ops: [{split: ','}, trim, lower, {map: {billing: B, bug: G}, default: O}, {join: '+'}, {template: '{{value}} for {{customer}}'}]",
        "  - {id: n, method: convert, from: g, ops: [{split: ','}, {map: {' Billing': '1', ' bug': '2', 'Billing': '3'}, default: '0'}, {join: ''}, number]}",
      ],
      () => reply("Billing, bug ,other"),
      [{ text: "t", customer: "acme" }],
    );
    expect(step(first, "c")!.output).toBe("B+G+O for acme");
    expect(step(first, "n")!.output).toBe(300); // keys match exactly: "Billing" → 3, " bug " and "other" → default
  });

  it("fails with the reason on a value the map lacks, or text that is not a number or boolean", async () => {
    const { results } = await run(["  - {id: g, method: generate, prompt: '{{text}}'}", "  - {id: c, method: convert, map: {yes: 1}}"], async (p) => reply(p), [{ text: "yes" }, { text: "maybe" }]);
    expect(results[0]!.output).toBe(1);
    expect(results[1]!.error!.message).toBe('step "c": map has no entry for "maybe"; expected one of: "yes"');
    const num = await run(["  - {id: g, method: generate, prompt: '{{text}}'}", "  - {id: c, method: convert, ops: [number]}"], () => reply("twelve"));
    expect(num.first.error!.message).toBe('step "c": number: "twelve" is not a number');
    const bool = await run(["  - {id: g, method: generate, prompt: '{{text}}'}", "  - {id: c, method: convert, ops: [boolean]}"], () => reply(" Yes "));
    expect(bool.first.output).toBe(true);
  });
});

describe("validate", () => {
  it("passes the value through, or fails the record with the schema's or the enum's reason", async () => {
    const lines = [
      "  - {id: g, method: generate, prompt: '{{text}}'}",
      "  - {id: parsed, method: convert, ops: [json]}",
      "  - {id: v, method: validate, schema: {type: object, required: [label], properties: {label: {enum: [a, b]}}}}",
      '  - {id: e, method: validate, from: g, enum: [\'{"label":"a"}\']}',
    ];
    const { results } = await run(lines, async (p) => reply(p), [{ text: '{"label":"a"}' }, { text: '{"label":"z"}' }]);
    expect(results[0]!.ok).toBe(true);
    expect(results[0]!.output).toBe('{"label":"a"}');
    expect(results[1]!.error!.type).toBe("pipeline_step");
    expect(results[1]!.error!.message).toBe('step "v": does not match the schema: /label must be one of: "a", "b" (got "z")');
  });
});

describe("step options", () => {
  it("when: skips a step whose condition is false; a skipped step reads as null and `from` it skips too", async () => {
    const lines = [
      "  - {id: g, method: generate, prompt: '{{text}}', schema: {type: object, properties: {urgent: {type: boolean}}}}",
      "  - {id: loud, method: generate, prompt: 'again {{text}}', when: 'steps.g.output.urgent == true'}",
      "  - {id: up, method: convert, ops: [upper]}",
    ];
    const { results, provider } = await run(lines, async (p) => reply(p.startsWith("again") ? "shout" : p), [{ text: '{"urgent": true}' }, { text: '{"urgent": false}' }]);
    expect(results[0]!.output).toBe("SHOUT");
    expect(results[1]!.ok).toBe(true);
    expect(results[1]!.output).toBeNull();
    expect(results[1]!.steps.map((s) => [s.id, s.skipped ?? false])).toEqual([
      ["g", false],
      ["loud", true],
      ["up", true],
    ]);
    expect(provider.calls).toBe(3);
  });

  it("on_error: fail stops the record, skip carries on as if skipped, continue runs the rest but fails the record", async () => {
    const base = (onError: string) => [
      "  - {id: g, method: generate, prompt: '{{text}}'}",
      `  - {id: num, method: convert, ops: [number], on_error: ${onError}}`,
      "  - {id: after, method: convert, from: g, template: 'after {{value}}'}",
    ];
    const fail = (await run(base("fail"), () => reply("abc"))).first;
    expect(fail.ok).toBe(false);
    expect(fail.steps.map((s) => s.id)).toEqual(["g", "num"]);
    const skip = (await run(base("skip"), () => reply("abc"))).first;
    expect(skip.ok).toBe(true);
    expect(skip.output).toBe("after abc");
    expect(step(skip, "num")).toMatchObject({ ok: false, skipped: true, error: { type: "pipeline_step" } });
    const cont = (await run(base("continue"), () => reply("abc"))).first;
    expect(cont.ok).toBe(false);
    expect(cont.error!.message).toContain('step "num"');
    expect(step(cont, "after")!.output).toBe("after abc");
  });

  it("retries: overrides the run's retries for one step", async () => {
    const failing = async () => {
      throw new ProviderError({ type: "server", message: "500", status: 500 });
    };
    const { first, provider } = await run(["  - {id: g, method: generate, prompt: '{{text}}', retries: 1}"], failing);
    expect(first.error!.type).toBe("server");
    expect(provider.calls).toBe(2);
    expect(first.attempts).toBe(2);
  });

  it("output: names the step whose output is the record's output; a template missing a step value is a pipeline_step error", async () => {
    const { first } = await run(["  - {id: a, method: generate, prompt: '{{text}}'}", "  - {id: b, method: generate, prompt: '{{steps.a.output}}'}", "output: a"], async (p) => reply(`<${p}>`));
    expect(first.output).toBe("<hello>");
    expect(step(first, "b")!.output).toBe("<<hello>>");
    const missing = await run(["  - {id: a, method: generate, prompt: '{{text}}', schema: {type: object}}", "  - {id: b, method: generate, prompt: '{{steps.a.output.nope}}'}"], () => reply("{}"));
    expect(missing.first.error).toMatchObject({ type: "pipeline_step" });
    expect(missing.first.error!.message).toContain('"steps.a.output.nope" is missing');
  });
});

describe("generate with a schema", () => {
  const schema = "{type: object, required: [label], properties: {label: {enum: [a, b]}}}";

  it("sends response_format json_schema, parses the reply, and repairs a mismatch with the problem in the conversation", async () => {
    const { first, provider } = await run([`  - {id: g, method: generate, prompt: '{{text}}', schema: ${schema}, repair_attempts: 2}`], async (_p, call) =>
      reply(call === 1 ? '{"label": "z"}' : call === 2 ? "oops" : '{"label": "b"}'),
    );
    expect(first.ok).toBe(true);
    expect(first.output).toEqual({ label: "b" });
    expect(first.steps[0]).toMatchObject({ attempts: 3, repairs: 2, usage: { input_tokens: 30, output_tokens: 15 } });
    const [r1, r2, r3] = provider.requests;
    expect(r1!.params.response_format).toEqual({ type: "json_schema", json_schema: { name: "g", schema: { type: "object", required: ["label"], properties: { label: { enum: ["a", "b"] } } } } });
    expect(r2!.messages.slice(1).map((m) => m.role)).toEqual(["assistant", "user"]);
    expect(r2!.messages[2]!.content).toContain('does not match the schema: /label must be one of: "a", "b" (got "z")');
    expect(r3!.messages).toHaveLength(5);
    expect(r3!.messages[4]!.content).toContain("is not valid JSON");
  });

  it("fails as invalid_response (code schema_mismatch) when no reply validates after the repairs", async () => {
    const { first, provider } = await run([`  - {id: g, method: generate, prompt: '{{text}}', schema: ${schema}, repair_attempts: 1}`], () => reply('{"label": 1}'));
    expect(provider.calls).toBe(2);
    expect(first.error).toMatchObject({ type: "invalid_response", code: "schema_mismatch", retriable: false });
    expect(first.error!.message).toMatch(/^step "g": the reply does not match the schema: \/label must be one of: "a", "b" \(got 1\) \(after 2 calls, 1 repair\)$/);
    expect(first.cost_usd).toBeGreaterThan(0);
  });
});
