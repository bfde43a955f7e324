import { describe, expect, it } from "vitest";
import { defaultPipeline, parsePipeline, type GenerateStep, type Pipeline } from "../../src/config/pipeline.js";
import { parseNonNegativeInt, parseNumberInRange, parsePositiveInt, parsePositiveNumber, resolveRunOptions } from "../../src/config/run-options.js";
import { UsageError } from "../../src/errors.js";

const fromFile = (): Pipeline =>
  parsePipeline(
    [
      "name: p",
      "provider: ollama",
      "model: llama3.2",
      "base_url: http://127.0.0.1:11434",
      "params: {temperature: 0.7, max_tokens: 100, seed: 1}",
      "limits: {rpm: 60, tpm: 1000, concurrency: 4}",
      "steps:",
      "  - {id: s, method: generate, system: terse, messages: [{role: user, content: '{{text}}'}], model: step-model}",
    ].join("\n"),
    "p.yaml",
  );

describe("resolveRunOptions precedence: flags > pipeline > defaults", () => {
  it("uses built-in defaults when nothing is given", () => {
    const r = resolveRunOptions({}, undefined);
    expect(r).toEqual({
      pipeline: defaultPipeline(),
      concurrency: 16,
      maxRetries: 5,
      timeoutMs: 120_000,
      input: {},
    });
    expect((r.pipeline.steps[0] as GenerateStep).usesRecordMessages).toBe(true);
  });

  it("takes the pipeline's values over the defaults", () => {
    const r = resolveRunOptions({}, fromFile());
    expect(r.pipeline.model).toBe("llama3.2");
    expect(r.pipeline.provider).toBe("ollama");
    expect(r.pipeline.base_url).toBe("http://127.0.0.1:11434");
    expect(r.pipeline.params).toEqual({ temperature: 0.7, max_tokens: 100, seed: 1 });
    expect([r.concurrency, r.rpm, r.tpm]).toEqual([4, 60, 1000]);
  });

  it("takes flags over the pipeline, leaving per-step overrides alone", () => {
    const pipeline = fromFile();
    const r = resolveRunOptions(
      {
        model: "gpt-4o",
        provider: "openai",
        baseUrl: "http://localhost:9999/v1",
        maxTokens: 50,
        temperature: 0,
        rpm: 500,
        tpm: 9000,
        concurrency: 32,
        maxRetries: 0,
        timeoutSeconds: 2.5,
      },
      pipeline,
    );
    expect(r.pipeline.model).toBe("gpt-4o");
    expect(r.pipeline.provider).toBe("openai");
    expect(r.pipeline.base_url).toBe("http://localhost:9999/v1");
    expect(r.pipeline.params).toEqual({ temperature: 0, max_tokens: 50, seed: 1 });
    expect(r.pipeline.limits).toEqual({ rpm: 500, tpm: 9000, concurrency: 32 });
    expect([r.concurrency, r.rpm, r.tpm, r.maxRetries, r.timeoutMs]).toEqual([32, 500, 9000, 0, 2500]);
    expect((r.pipeline.steps[0] as GenerateStep).model).toBe("step-model");
    // The caller's pipeline is not modified.
    expect(pipeline.model).toBe("llama3.2");
    expect(pipeline.limits.rpm).toBe(60);
  });

  it("leaves rpm and tpm absent when nothing sets them", () => {
    const r = resolveRunOptions({}, undefined);
    expect("rpm" in r).toBe(false);
    expect("tpm" in r).toBe(false);
  });

  it("rejects invalid values passed by library callers", () => {
    expect(() => resolveRunOptions({ concurrency: 0 }, undefined)).toThrow(new UsageError("concurrency must be a positive integer, got 0"));
    expect(() => resolveRunOptions({ maxRetries: -1 }, undefined)).toThrow("maxRetries must be a non-negative integer, got -1");
    expect(() => resolveRunOptions({ temperature: 3 }, undefined)).toThrow("temperature must be a number between 0 and 2, got 3");
  });
});

describe("--template", () => {
  it("without a pipeline, turns the default step into a template step", () => {
    const step = resolveRunOptions({ template: "Translate: {{text}}" }, undefined).pipeline.steps[0]!;
    expect(step).toEqual({ id: "generate", method: "generate", prompt: "Translate: {{text}}", params: {}, usesRecordMessages: false });
  });

  it("replaces the prompt (or messages) of a single-step pipeline, keeping its system prompt", () => {
    const step = resolveRunOptions({ template: "Short: {{text}}" }, fromFile()).pipeline.steps[0]!;
    expect(step).toEqual({ id: "s", method: "generate", system: "terse", prompt: "Short: {{text}}", model: "step-model", params: {} });
  });

  it("is a UsageError with a multi-step pipeline", () => {
    const two = parsePipeline("name: two\nsteps:\n  - {id: a, method: generate, prompt: x}\n  - {id: b, method: generate, prompt: '{{steps.a.output}}'}\n", "two.yaml");
    expect(() => resolveRunOptions({ template: "{{text}}" }, two)).toThrow(
      new UsageError("--template replaces the prompt of a single-step pipeline, but two.yaml has 2 steps; edit the pipeline file instead"),
    );
  });

  it("is a UsageError when the template does not compile or references step outputs", () => {
    expect(() => resolveRunOptions({ template: "bad {{}}" }, undefined)).toThrow(UsageError);
    expect(() => resolveRunOptions({ template: "bad {{}}" }, undefined)).toThrow(/^--template: template has an empty placeholder/);
    expect(() => resolveRunOptions({ template: "{{steps.x.output}}" }, undefined)).toThrow("--template cannot reference {{steps.x.output}}: it replaces the only step");
  });
});

describe("flag parsers", () => {
  it("parsePositiveInt accepts positive integers only", () => {
    expect(parsePositiveInt("--rpm", "500")).toBe(500);
    expect(parsePositiveInt("--rpm", " 7 ")).toBe(7);
    expect(() => parsePositiveInt("--rpm", "ten")).toThrow(new UsageError('--rpm must be a positive integer, got "ten"'));
    expect(() => parsePositiveInt("--rpm", "0")).toThrow(new UsageError('--rpm must be a positive integer, got "0"'));
    for (const raw of ["", "1.5", "-3", "1e3", "0x10", "99999999999999999999"]) {
      expect(() => parsePositiveInt("--rpm", raw)).toThrow(UsageError);
    }
  });

  it("parseNonNegativeInt accepts zero", () => {
    expect(parseNonNegativeInt("--max-retries", "0")).toBe(0);
    expect(() => parseNonNegativeInt("--max-retries", "-1")).toThrow('--max-retries must be a non-negative integer, got "-1"');
  });

  it("parseNumberInRange checks the range, inclusive", () => {
    expect(parseNumberInRange("--temperature", "0", 0, 2)).toBe(0);
    expect(parseNumberInRange("--temperature", "2", 0, 2)).toBe(2);
    expect(parseNumberInRange("--temperature", ".7", 0, 2)).toBe(0.7);
    expect(() => parseNumberInRange("--temperature", "3", 0, 2)).toThrow(new UsageError('--temperature must be a number between 0 and 2, got "3"'));
    for (const raw of ["", "hot", "0x1", "NaN", "Infinity"]) {
      expect(() => parseNumberInRange("--temperature", raw, 0, 2)).toThrow(UsageError);
    }
  });

  it("parsePositiveNumber accepts fractions", () => {
    expect(parsePositiveNumber("--timeout", "2.5")).toBe(2.5);
    expect(() => parsePositiveNumber("--timeout", "0")).toThrow('--timeout must be a positive number, got "0"');
  });
});
