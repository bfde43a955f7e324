import { describe, expect, it } from "vitest";
import { runCli, tempDir, writeTemp } from "../helpers/cli.js";

describe("llmbatch validate", () => {
  it("accepts every example pipeline and exits 0, with nothing on stdout", async () => {
    const r = await runCli(["validate", "pipelines/demo.yaml", "pipelines/ticket-triage.yaml", "pipelines/extract-entities.yaml", "pipelines/translate-summarize.yaml", "pipelines/two-model.yaml"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('pipelines/ticket-triage.yaml: ok: pipeline "ticket-triage", 3 steps: triage (generate), label (extract), code (convert)');
  });

  it("reports every problem with file:line:column and exits 2; valid files in the same call still pass", async () => {
    const dir = tempDir();
    const bad = writeTemp(
      dir,
      "bad.yaml",
      [
        "name: bad",
        "steps:",
        "  - id: a",
        "    method: generate",
        "    promt: hi",
        "  - id: b",
        "    method: summarize",
        "  - id: c",
        "    method: convert",
        "    from: a",
        "    template: '{{steps.d.output}}'",
        "  - id: d",
        "    method: validate",
        "    schema: {type: objekt}",
        "",
      ].join("\n"),
    );
    const r = await runCli(["validate", bad, "pipelines/two-model.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
    expect(errors).toEqual([
      `error: ${bad}:3:5: steps[0] needs a "prompt" or "messages"`,
      `error: ${bad}:5:5: unknown key "promt" in steps[0] (did you mean "prompt"?)`,
      `error: ${bad}:7:13: unknown step method "summarize"; expected one of: generate, embed, extract, convert, validate`,
      `error: ${bad}:11:16: steps[2].template references {{steps.d.output}}, but step "d" runs after this one; a template can only use the output of an earlier step`,
      `error: ${bad}:14:13: steps[3].schema is not a valid JSON Schema: schema is invalid: data/type must be equal to one of the allowed values, data/type must be array, data/type must match a schema in anyOf`,
    ]);
    expect(r.stderr).toContain(`${bad}: 5 problems`);
    expect(r.stderr).toContain("pipelines/two-model.yaml: ok");
  });

  it("says so when the file does not exist", async () => {
    const r = await runCli(["validate", "nope.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("cannot read pipeline file nope.yaml: no such file");
  });
});
