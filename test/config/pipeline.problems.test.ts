import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { parsePipeline } from "../../src/config/pipeline.js";
import { UsageError } from "../../src/errors.js";
import { problemsOf, yaml } from "./helpers.js";

describe("parsePipeline reports every problem together, at its position", () => {
  const text = yaml(
    /*  1 */ "name: ticket-summary",
    /*  2 */ "provider: anthropic",
    /*  3 */ "modle: gpt-4o-mini",
    /*  4 */ "base_url: not a url",
    /*  5 */ "params: {temperature: 3, max_tokens: 1.5, top_p: -1, seed: x, stop: [1], response_format: json}",
    /*  6 */ "limits:",
    /*  7 */ "  rpm: ten",
    /*  8 */ "  concurrency: 0",
    /*  9 */ "steps:",
    /* 10 */ "  - id: summary",
    /* 11 */ "    method: generate",
    /* 12 */ '    prompt: "Summarize:\\n{{text}} {{steps.later.output}}"',
    /* 13 */ '    model: ""',
    /* 14 */ "  - id: later",
    /* 15 */ "    method: summarise",
    /* 16 */ "    promt: x",
    /* 17 */ "  - id: summary",
    /* 18 */ "    method: generate",
    /* 19 */ "    messages:",
    /* 20 */ "      - role: robot",
    /* 21 */ "        content: |",
    /* 22 */ "          Hi {{ steps.sumary.output }}",
    /* 23 */ "output: nope",
  );

  it("lists them in file order with exact line:column", () => {
    expect(problemsOf(text)).toEqual([
      '2:11: provider must be one of: openai, ollama, got "anthropic"',
      '3:1: unknown key "modle" in pipeline (did you mean "model"?)',
      '4:11: base_url must be an http:// or https:// URL, got "not a url"',
      "5:23: params.temperature must be a number between 0 and 2, got 3",
      "5:38: params.max_tokens must be a positive integer, got 1.5",
      "5:50: params.top_p must be a number between 0 and 1, got -1",
      '5:60: params.seed must be an integer, got "x"',
      "5:69: params.stop must be a string or a list of strings, got a list",
      '5:74: unknown key "response_format" in params',
      '7:8: limits.rpm must be a positive integer, got "ten"',
      "8:16: limits.concurrency must be a positive integer, got 0",
      '12:35: steps[0].prompt references {{steps.later.output}}, but step "later" runs after this one; a template can only use the output of an earlier step',
      '13:12: steps[0].model must be a non-empty string, got ""',
      '15:13: unknown step method "summarise"; expected one of: generate, embed, extract, convert, validate',
      '16:5: unknown key "promt" in steps[1] (did you mean "prompt"?)',
      '17:9: duplicate step id "summary"; already used by steps[0]',
      '20:15: steps[2].messages[0].role must be one of: system, developer, user, assistant, got "robot"',
      '22:14: steps[2].messages[0].content references {{ steps.sumary.output }}, but there is no step "sumary" (did you mean "summary"?)',
      '23:9: output names step "nope", but there is no such step',
    ]);
  });

  it("throws a ConfigError (a UsageError) whose message has one file:line:column line per problem", () => {
    let error: unknown;
    try {
      parsePipeline(text, "pipelines/x.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(UsageError);
    const lines = (error as ConfigError).message.split("\n");
    expect(lines).toHaveLength(19);
    expect(lines[0]).toBe('pipelines/x.yaml:2:11: provider must be one of: openai, ollama, got "anthropic"');
    expect(lines[9]).toBe('pipelines/x.yaml:7:8: limits.rpm must be a positive integer, got "ten"');
    expect((error as ConfigError).problems.every((p) => p.file === "pipelines/x.yaml")).toBe(true);
  });
});

describe("YAML syntax errors", () => {
  it("are reported with yaml's own positions, and nothing else", () => {
    expect(problemsOf(yaml("name: x", "steps:", "\t- id: a"))).toEqual(["3:1: YAML syntax error: Tabs are not allowed as indentation"]);
    expect(problemsOf(yaml("name: x", "steps:", "  - id: a", "    prompt: [unclosed"))).toEqual([
      "5:1: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
  });

  it("say a document nested too deep is nested too deep, once, where the parser gave up", () => {
    const deepFlow = yaml("name: x", "steps:", "  - id: a", "    method: generate", "    prompt: hi", `    schema: ${"[".repeat(5000)}${"]".repeat(5000)}`);
    let deepBlock = yaml("name: x", "steps: []", "limits:");
    for (let i = 0, indent = "  "; i < 3000; i++, indent += "  ") deepBlock += `${indent}k${i}:\n`;
    for (const text of [deepFlow, deepBlock]) {
      const problems = problemsOf(text);
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^\d+:\d+: nested too deep: the lists and mappings here are nested so many levels down that the YAML parser ran out of stack/);
    }
    expect(problemsOf(deepFlow)[0]).toMatch(/^6:/);
  });

  it("name the duplicated key", () => {
    expect(problemsOf(yaml("name: x", "steps: []", "name: y"))).toEqual(['3:1: YAML syntax error: Map keys must be unique ("name" appears more than once)']);
  });
});

describe("structure", () => {
  it("rejects an empty file and a non-mapping document", () => {
    expect(problemsOf("")).toEqual(['1:1: pipeline file is empty; expected a mapping with "name" and "steps"']);
    expect(problemsOf("# only a comment\n")).toEqual(['1:1: pipeline file is empty; expected a mapping with "name" and "steps"']);
    expect(problemsOf(yaml("- a", "- b"))).toEqual(["1:1: pipeline must be a mapping, got a list"]);
  });

  it("reports missing required keys at the start of their mapping", () => {
    expect(problemsOf(yaml("model: m"))).toEqual(['1:1: pipeline is missing required key "name"', '1:1: pipeline is missing required key "steps"']);
    expect(problemsOf(yaml("name: x", "steps:", "  - prompt: hi"))).toEqual(['3:5: steps[0] is missing required key "id"', '3:5: steps[0] is missing required key "method"']);
  });

  it("rejects an empty or absent step list and non-mapping steps", () => {
    expect(problemsOf(yaml("name: x", "steps: []"))).toEqual(["2:8: steps must list at least one step"]);
    expect(problemsOf(yaml("name: x", "steps:"))).toEqual(["2:7: steps must be a list, got nothing"]);
    expect(problemsOf(yaml("name: x", "steps: [7]"))).toEqual(["2:9: steps[0] must be a mapping, got 7"]);
  });

  it("checks step ids", () => {
    expect(problemsOf(yaml("name: x", "steps:", "  - {id: 1st, method: generate, prompt: p}"))).toEqual([
      '3:10: steps[0].id must start with a letter or "_" and contain only letters, digits, "_" and "-", got "1st"',
    ]);
  });

  it("needs exactly one of prompt and messages", () => {
    expect(problemsOf(yaml("name: x", "steps:", "  - {id: a, method: generate, system: s}"))).toEqual(['3:5: steps[0] needs a "prompt" or "messages"']);
    expect(problemsOf(yaml("name: x", "steps:", "  - id: a", "    method: generate", "    prompt: p", "    messages: [{role: user, content: c}]"))).toEqual([
      '6:5: steps[0] has both "prompt" and "messages"; use prompt, or system + messages',
    ]);
  });

  it("checks message entries", () => {
    expect(problemsOf(yaml("name: x", "steps:", "  - id: a", "    method: generate", "    messages:", "      - {role: user, text: hi}", "      - hello"))).toEqual([
      '6:9: steps[0].messages[0] is missing required key "content"',
      '6:22: unknown key "text" in steps[0].messages[0]',
      '7:9: steps[0].messages[1] must be a mapping, got "hello"',
    ]);
  });

  it("accepts an output naming a step that has problems of its own, without a second report", () => {
    expect(problemsOf(yaml("name: x", "steps:", "  - {id: a, method: generate, prompt: p, model: 5}", "output: a"))).toEqual(["3:49: steps[0].model must be a non-empty string, got 5"]);
  });
});

describe("template checks", () => {
  const stepsWith = (...prompts: string[]): string => yaml("name: x", "steps:", ...prompts.map((p, i) => `  - {id: s${i}, method: generate, prompt: '${p}'}`));

  it("accept references to earlier steps", () => {
    expect(parsePipeline(stepsWith("{{text}}", "{{steps.s0.output}}", "{{steps.s0.output}} {{ steps.s1.output.title }}"), "p.yaml").steps).toHaveLength(3);
  });

  it("report references to later, own and missing steps at the placeholder", () => {
    expect(problemsOf(stepsWith("a {{steps.s1.output}}", "b {{steps.s1.output}}", "c {{steps.s9.output}}"))).toEqual([
      '3:43: steps[0].prompt references {{steps.s1.output}}, but step "s1" runs after this one; a template can only use the output of an earlier step',
      "4:43: steps[1].prompt references {{steps.s1.output}}, but that is this step's own output; a template can only use the output of an earlier step",
      '5:43: steps[2].prompt references {{steps.s9.output}}, but there is no step "s9" (did you mean "s0"?)',
    ]);
  });

  it("report step references without .output", () => {
    expect(problemsOf(stepsWith("{{text}}", "{{steps.s0}}"))).toEqual(["4:41: steps[1].prompt references {{steps.s0}}, but step outputs are referenced as {{steps.<id>.output}}"]);
  });

  it("report template syntax errors in system, prompt and messages at the placeholder", () => {
    expect(problemsOf(yaml("name: x", "steps:", "  - id: a", "    method: generate", "    system: 'be {{}}'", "    messages:", "      - role: user", '        content: "x {{[a b]}}"'))).toEqual([
      '5:17: steps[0].system: template has an empty placeholder in {{}}; use {{name}}, {{a.b.c}} or {{["a field name"]}}',
      `8:21: steps[0].messages[0].content: template has an invalid path "[a b]" in {{[a b]}}; a key in brackets is written ["a key"], ['a key'] or [0]`,
    ]);
  });
});

describe("extract group names", () => {
  it("a group name the regex does not define is a problem at its position, even one with regex syntax in it", () => {
    for (const group of ["y", "a)", "a+"]) {
      const problems = problemsOf(yaml("name: p", "steps:", "  - {id: g, method: generate, prompt: hi}", `  - {id: re, method: extract, regex: '(?<a>x)', group: '${group}'}`));
      expect(problems).toEqual([expect.stringContaining(`steps[1].group names group "${group}", but the regex has no (?<${group}>…)`)]);
    }
  });
});
