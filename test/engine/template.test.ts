import { describe, expect, it } from "vitest";
import { compileTemplate, TemplateError } from "../../src/engine/template.js";

describe("compileTemplate().render", () => {
  it("substitutes top-level variables, with or without spaces inside the braces", () => {
    const t = compileTemplate("Summarize {{text}} for {{ customer }}, please{{  mark  }}");
    expect(t.render({ text: "the ticket", customer: "Ada", mark: "!" })).toBe("Summarize the ticket for Ada, please!");
  });

  it("follows dotted paths into nested objects and arrays", () => {
    const t = compileTemplate("{{customer.name}} / {{steps.summary.output}} / {{items.1.sku}}");
    const ctx = { customer: { name: "Ada" }, steps: { summary: { output: "short" } }, items: [{ sku: "a" }, { sku: "b" }] };
    expect(t.render(ctx)).toBe("Ada / short / b");
  });

  it("prefers a flat key containing dots (a CSV header) over the nested walk", () => {
    expect(compileTemplate("{{customer.name}}").render({ "customer.name": "flat", customer: { name: "nested" } })).toBe("flat");
  });

  it("renders numbers and booleans with String, objects and arrays as JSON, null as empty", () => {
    const t = compileTemplate("{{n}}|{{b}}|{{o}}|{{a}}|{{z}}|");
    expect(t.render({ n: 1.5, b: false, o: { k: "v" }, a: [1, "x"], z: null })).toBe('1.5|false|{"k":"v"}|[1,"x"]||');
  });

  it("renders an empty string value as empty, not as missing", () => {
    expect(compileTemplate("[{{text}}]").render({ text: "" })).toBe("[]");
  });

  it("keeps unmatched and surplus braces as literal text", () => {
    expect(compileTemplate("a {{ b").render({})).toBe("a {{ b");
    expect(compileTemplate("{{{name}}}").render({ name: "x" })).toBe("{x}");
    expect(compileTemplate("{{ {{name}} }}").render({ name: "x" })).toBe("{{ x }}");
    expect(compileTemplate('JSON: {"a": {"b": 1}} and }}').render({})).toBe('JSON: {"a": {"b": 1}} and }}');
  });

  it("renders the same compiled template for many records", () => {
    const t = compileTemplate("Hi {{name}}");
    expect(["a", "b", "c"].map((name) => t.render({ name }))).toEqual(["Hi a", "Hi b", "Hi c"]);
  });
});

describe("missing variables", () => {
  it("throws TemplateError naming the variable", () => {
    const t = compileTemplate("Summarize:\n{{text}}");
    expect(() => t.render({ other: 1 })).toThrow(TemplateError);
    try {
      t.render({});
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(TemplateError);
      expect((e as TemplateError).message).toBe('template variable "text" is missing from the record');
      expect((e as TemplateError).missing).toBe("text");
      expect((e as TemplateError).kind).toBe("missing");
    }
  });

  it("treats undefined values and broken nested paths as missing", () => {
    expect(() => compileTemplate("{{x}}").render({ x: undefined })).toThrow('template variable "x" is missing');
    expect(() => compileTemplate("{{a.b.c}}").render({ a: { b: null } })).toThrow('template variable "a.b.c" is missing');
    expect(() => compileTemplate("{{a.b}}").render({ a: "text" })).toThrow('template variable "a.b" is missing');
  });

  it("does not read inherited properties", () => {
    expect(() => compileTemplate("{{constructor}}").render({})).toThrow('template variable "constructor" is missing');
    expect(() => compileTemplate("{{s.length}}").render({ s: "abc" })).toThrow('template variable "s.length" is missing');
  });
});

describe("compile errors and metadata", () => {
  it("lists referenced paths once each, and placeholder offsets", () => {
    const t = compileTemplate("{{a}} {{ b.c }} {{a}}");
    expect(t.source).toBe("{{a}} {{ b.c }} {{a}}");
    expect(t.refs).toEqual(["a", "b.c"]);
    expect(t.placeholders).toEqual([
      { path: "a", start: 0, end: 5 },
      { path: "b.c", start: 6, end: 15 },
      { path: "a", start: 16, end: 21 },
    ]);
  });

  it("rejects empty placeholders and invalid paths at compile time, with their offset", () => {
    for (const [source, index, token] of [
      ["ab {{}}", 3, "{{}}"],
      ["{{ }}", 0, "{{ }}"],
      ["x {{a b}}", 2, "{{a b}}"],
      ["{{a..b}}", 0, "{{a..b}}"],
      ["{{1st}}", 0, "{{1st}}"],
      ["{{a.}}", 0, "{{a.}}"],
    ] as const) {
      try {
        compileTemplate(source);
        expect.unreachable(source);
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateError);
        expect((e as TemplateError).kind).toBe("syntax");
        expect((e as TemplateError).index).toBe(index);
        expect((e as TemplateError).token).toBe(token);
      }
    }
  });

  it("allows hyphens, underscores and numeric indexes after the first segment", () => {
    expect(compileTemplate("{{_a.step-1.0}}").refs).toEqual(["_a.step-1.0"]);
  });
});
