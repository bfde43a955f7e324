import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { runPipeline } from "../../src/run/run-pipeline.js";
import { yaml } from "../config/helpers.js";
import { collect, FakeProvider, reply } from "./fake-provider.js";

const pipeline = parsePipeline(yaml("name: nest", "model: gpt-4o-mini", "steps:", "  - id: show", "    method: generate", "    prompt: 'Describe {{d}}'"), "nest.yaml");

describe("runPipeline bounds the nesting of the records it is handed, as the file readers do", () => {
  it("a record nested too deep, or circular, is an invalid_input result and is never sent; the others run", async () => {
    let deep: unknown = [];
    for (let i = 0; i < 20_000; i++) deep = [deep];
    const circular: Record<string, unknown> = { id: "loop" };
    circular.d = { back: circular };
    const provider = new FakeProvider(() => reply("fine"));
    const results = await collect(
      runPipeline(pipeline, [{ id: "a", d: [1, [2]] }, { id: "deep", d: deep }, circular, { id: "vars", line: 9, vars: { d: deep } }], { providers: () => provider, ordered: true }),
    );
    expect(results.map((r) => [r.id, r.ok, r.error?.type])).toEqual([
      ["a", true, undefined],
      ["deep", false, "invalid_input"],
      ["loop", false, "invalid_input"],
      ["vars", false, "invalid_input"],
    ]);
    expect(results[1]!.error!.message).toBe('line 2: field "d" nests arrays/objects more than 1000 levels deep, counting the record as one (the most llmbatch reads)');
    expect(results[2]!.error!.message).toContain("circular");
    expect(results[3]!.error!.line).toBe(9);
    expect(provider.calls).toBe(1);
  });
});

describe("runPipeline refuses lone surrogates in the records it is handed, as the file readers do", () => {
  it("a field, a key or an InputRecord's prompt with one is an invalid_input naming it, never sent; the others run", async () => {
    const provider = new FakeProvider(() => reply("fine"));
    const records = [
      { id: "ok", d: "caf\u00e9 \u{1f600}" },
      { id: "field", d: "half \ud83d of an emoji" },
      { id: "key", d: "x", meta: { ["bad\udc00"]: 1 } },
      { id: "own", line: 4, vars: { d: "x" }, prompt: "cut \ud800" },
      { id: "\ud800", d: "broken \udfff" },
    ];
    const results = await collect(runPipeline(pipeline, records, { providers: () => provider, ordered: true }));
    expect(results.map((r) => [r.id, r.ok, r.error?.type])).toEqual([
      ["ok", true, undefined],
      ["field", false, "invalid_input"],
      ["key", false, "invalid_input"],
      ["own", false, "invalid_input"],
      ["#line-5", false, "invalid_input"],
    ]);
    expect(results[1]!.error!.message).toMatch(/^line 2: d holds a lone UTF-16 surrogate/);
    expect(results[2]!.error!.message).toMatch(/^line 3: the key of meta\["bad\ufffd"\] holds a lone UTF-16 surrogate/);
    expect(results[3]!.error).toMatchObject({ line: 4 });
    expect(results[3]!.error!.message).toContain("prompt holds a lone UTF-16 surrogate");
    expect(provider.calls).toBe(1);
  });
});
