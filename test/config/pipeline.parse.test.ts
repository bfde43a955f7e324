import { describe, expect, it } from "vitest";
import { defaultPipeline, parsePipeline, type GenerateStep, type Pipeline } from "../../src/config/pipeline.js";
import { yaml } from "./helpers.js";

describe("parsePipeline on a valid file", () => {
  it("returns the typed shape with every field", () => {
    const text = yaml(
      "name: ticket-summary",
      "provider: openai",
      "model: gpt-4o-mini",
      "base_url: http://127.0.0.1:8080/v1",
      'params: {temperature: 0, max_tokens: 200, top_p: 1, seed: 7, stop: ["\\n\\n"]}',
      "limits: {rpm: 500, tpm: 200000, concurrency: 16}",
      "steps:",
      "  - id: summary",
      "    method: generate",
      '    prompt: "Summarize:\\n{{text}}"',
      "    system: You are terse.",
      "    model: gpt-4o",
      "    params: {temperature: 0.2}",
      "  - id: title",
      "    method: generate",
      "    system: Write titles.",
      "    messages:",
      "      - {role: user, content: 'Example: {{example}}'}",
      "      - role: assistant",
      "        content: A title",
      "      - role: user",
      "        content: |",
      "          Title for: {{ steps.summary.output }}",
      "    params: {stop: END}",
      "output: summary",
    );
    const expected: Pipeline = {
      name: "ticket-summary",
      provider: "openai",
      model: "gpt-4o-mini",
      base_url: "http://127.0.0.1:8080/v1",
      params: { temperature: 0, max_tokens: 200, top_p: 1, seed: 7, stop: ["\n\n"] },
      limits: { rpm: 500, tpm: 200000, concurrency: 16 },
      steps: [
        {
          id: "summary",
          method: "generate",
          prompt: "Summarize:\n{{text}}",
          system: "You are terse.",
          model: "gpt-4o",
          params: { temperature: 0.2 },
        },
        {
          id: "title",
          method: "generate",
          system: "Write titles.",
          messages: [
            { role: "user", content: "Example: {{example}}" },
            { role: "assistant", content: "A title" },
            { role: "user", content: "Title for: {{ steps.summary.output }}\n" },
          ],
          params: { stop: "END" },
        },
      ],
      output: "summary",
      file: "p.yaml",
    };
    expect(parsePipeline(text, "p.yaml")).toEqual(expected);
  });

  it("fills empty params and limits and leaves optional fields absent", () => {
    const p = parsePipeline(yaml("name: x", "steps:", "  - {id: a, method: generate, prompt: 'hi {{text}}'}"), "x.yaml");
    expect(p).toEqual({
      name: "x",
      params: {},
      limits: {},
      steps: [{ id: "a", method: "generate", prompt: "hi {{text}}", params: {} }],
      file: "x.yaml",
    });
    expect(Object.keys(p)).not.toContain("output");
  });

  it("resolves anchors and aliases, so blocks can be shared", () => {
    const p = parsePipeline(
      yaml("name: x", "params: &shared {temperature: 0.5}", "steps:", "  - {id: a, method: generate, prompt: a, params: *shared}", "  - {id: b, method: generate, prompt: b, params: *shared}"),
      "x.yaml",
    );
    expect(p.steps.map((s) => (s as GenerateStep).params)).toEqual([{ temperature: 0.5 }, { temperature: 0.5 }]);
  });
});

describe("defaultPipeline", () => {
  it("is one generate step that sends the record's own prompt or messages", () => {
    expect(defaultPipeline()).toEqual({
      name: "default",
      params: {},
      limits: {},
      steps: [{ id: "generate", method: "generate", prompt: "{{prompt}}", params: {}, usesRecordMessages: true }],
    });
  });

  it("returns a fresh object each time", () => {
    const a = defaultPipeline();
    a.steps[0]!.prompt = "changed";
    expect(defaultPipeline().steps[0]!.prompt).toBe("{{prompt}}");
  });
});
