import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { problemsOf, yaml } from "./helpers.js";

describe("step methods and options in a valid file", () => {
  it("reads generate (schema, repair_attempts, retries), extract, convert and validate with when/on_error/from", () => {
    const p = parsePipeline(
      yaml(
        "name: t",
        "steps:",
        "  - {id: triage, method: generate, prompt: '{{text}}', schema: {type: object, required: [label]}, repair_attempts: 2, retries: 0}",
        "  - {id: label, method: extract, json: $.label, on_error: skip}",
        "  - {id: code, method: convert, from: [label, triage], ops: [trim, upper, {map: {A: 1}, default: 0}], when: 'steps.triage.output.urgent == true'}",
        "  - {id: ok, method: validate, enum: [0, 1]}",
        "  - {id: re, method: extract, from: triage, regex: '(?<x>a+)', flags: i, group: x, optional: true}",
      ),
      "t.yaml",
    );
    expect(p.steps).toEqual([
      { id: "triage", method: "generate", prompt: "{{text}}", params: {}, schema: { type: "object", required: ["label"] }, repair_attempts: 2, retries: 0 },
      { id: "label", method: "extract", from: ["triage"], json: "$.label", on_error: "skip" },
      { id: "code", method: "convert", from: ["label", "triage"], ops: [{ op: "trim" }, { op: "upper" }, { op: "map", map: { A: 1 }, default: 0 }], when: "steps.triage.output.urgent == true" },
      { id: "ok", method: "validate", from: ["code"], enum: [0, 1] },
      { id: "re", method: "extract", from: ["triage"], regex: "(?<x>a+)", flags: "i", group: "x", optional: true },
    ]);
  });
});

describe("step problems, each at its position", () => {
  it("reports bad extract, convert and validate settings", () => {
    expect(
      problemsOf(
        yaml(
          /* 1 */ "name: t",
          /* 2 */ "steps:",
          /* 3 */ "  - {id: first, method: extract, json: $.x}",
          /* 4 */ "  - {id: g, method: generate, prompt: p}",
          /* 5 */ "  - {id: both, method: extract, json: $.a, regex: a}",
          /* 6 */ "  - {id: re, method: extract, regex: '(a', group: n}",
          /* 7 */ "  - {id: path, method: extract, json: 'label'}",
          /* 8 */ "  - {id: c, method: convert, ops: [trim, shout, {split: ','}, split]}",
          /* 9 */ "  - {id: v, method: validate, schema: {type: object, requird: [a]}}",
          /* 10 */ "  - {id: f, method: convert, from: later, template: '{{value}}'}",
          /* 11 */ "  - {id: later, method: validate, from: nope, enum: [a]}",
          /* 12 */ "  - {id: o, method: generate, prompt: p, repair_attempts: 2, on_error: explode}",
        ),
      ),
    ).toEqual([
      '3:5: steps[0] is the first step, so it has no previous step to read; name a step with "from"',
      '5:44: steps[2] needs exactly one of "json", "regex" or "between", got "json" and "regex"',
      "6:38: steps[3].regex is not a valid regular expression: Invalid regular expression: /(a/: Unterminated group",
      '7:39: steps[4].json: a path starts with "$" (the whole value), got "label"',
      '8:42: steps[5].ops[1] is not an operation: "shout"; expected one of: trim, lower, upper, number, boolean, string, json, split, join, template, map',
      '8:63: steps[5].ops[3] is not an operation: "split"; expected one of: trim, lower, upper, number, boolean, string, json, split, join, template, map ("split" takes a value: {split: …})',
      '9:39: steps[6].schema is not a valid JSON Schema: strict mode: unknown keyword: "requird"',
      '10:36: steps[7].from names step "later", which runs after this one; a step can only read the output of an earlier step',
      '11:41: steps[8].from names step "nope", but there is no such step; a step can only read the output of an earlier step',
      '12:42: steps[9].repair_attempts needs a "schema" on the same step: only structured output is repaired',
      '12:72: steps[9].on_error must be one of: fail, skip, continue, got "explode"',
    ]);
  });

  it("reports when: syntax errors and step references at their column", () => {
    expect(
      problemsOf(
        yaml(
          "name: t",
          "steps:",
          "  - {id: a, method: generate, prompt: p}",
          "  - {id: b, method: generate, prompt: p, when: 'steps.a.output ==== 1'}",
          "  - {id: c, method: generate, prompt: p, when: 'steps.d.output.x > 1 && steps.zz.output'}",
          "  - {id: d, method: generate, prompt: p, when: 'steps.a.outptu'}",
        ),
      ),
    ).toEqual([
      '4:66: steps[1].when: expected a value, got "==" at column 18 in "steps.a.output ==== 1"',
      '5:49: steps[2].when references steps.d.output.x, but step "d" runs after this one; a condition can only use the output of an earlier step',
      '5:73: steps[2].when references steps.zz.output, but there is no step "zz"',
      "6:49: steps[3].when references steps.a.outptu, but step outputs are referenced as steps.<id>.output",
    ]);
  });
});
