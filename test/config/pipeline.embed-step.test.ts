/** `method: embed` in a pipeline file: its keys, and every problem at its file:line:column. */
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { problemsOf, yaml } from "./helpers.js";

describe("embed steps in a valid file", () => {
  it("reads input (one template or a list), model, dimensions, encoding_format and retries", () => {
    const p = parsePipeline(
      yaml(
        "name: vectors",
        "model: gpt-4o-mini",
        "steps:",
        "  - {id: summary, method: generate, prompt: 'Summarize: {{text}}'}",
        "  - id: vector",
        "    method: embed",
        "    model: text-embedding-3-small",
        "    input: '{{steps.summary.output}}'",
        "    dimensions: 256",
        "    encoding_format: base64",
        "    retries: 1",
        "    when: 'steps.summary.output != null'",
        "  - {id: fields, method: embed, model: 'ollama:nomic-embed-text', input: ['{{title}}', '{{text}}'], on_error: skip}",
      ),
      "v.yaml",
    );
    expect(p.steps.slice(1)).toEqual([
      {
        id: "vector",
        method: "embed",
        model: "text-embedding-3-small",
        input: "{{steps.summary.output}}",
        dimensions: 256,
        encoding_format: "base64",
        retries: 1,
        when: "steps.summary.output != null",
      },
      { id: "fields", method: "embed", model: "ollama:nomic-embed-text", input: ["{{title}}", "{{text}}"], on_error: "skip" },
    ]);
  });
});

describe("embed step problems, each at its position", () => {
  it("names what is missing or wrong and where", () => {
    expect(
      problemsOf(
        yaml(
          /* 1 */ "name: t",
          /* 2 */ "steps:",
          /* 3 */ "  - {id: a, method: embed, input: '{{text}}'}",
          /* 4 */ "  - {id: b, method: embed, model: text-embedding-3-small}",
          /* 5 */ "  - {id: c, method: embed, model: text-embedding-3-small, input: [], dimensions: 0}",
          /* 6 */ "  - {id: d, method: embed, model: text-embedding-3-small, input: '{{steps.e.output}}', encoding_format: binary}",
          /* 7 */ "  - {id: e, method: embed, model: '', input: ['{{x}}', 3], prompt: hi}",
        ),
      ),
    ).toEqual([
      '3:5: steps[0] needs a "model": the embeddings model, e.g. text-embedding-3-small or ollama:nomic-embed-text',
      '4:5: steps[1] needs an "input": the text template to embed, or a list of them',
      "5:66: steps[2].input must be a template or a non-empty list of templates, got a list",
      "5:82: steps[2].dimensions must be a positive integer, got 0",
      '6:67: steps[3].input references {{steps.e.output}}, but step "e" runs after this one; a template can only use the output of an earlier step',
      '6:105: steps[3].encoding_format must be one of: float, base64, got "binary"',
      '7:35: steps[4].model must be a non-empty string, got ""',
      "7:56: steps[4].input[1] must be a non-empty string, got 3",
      '7:60: unknown key "prompt" in steps[4]',
    ]);
  });
});
