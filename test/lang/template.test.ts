import { describe, expect, it } from "vitest";
import { compileTemplate, TemplateError } from "../../src/lang/template.js";

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
      { path: "a", segments: ["a"], start: 0, end: 5 },
      { path: "b.c", segments: ["b", "c"], start: 6, end: 15 },
      { path: "a", segments: ["a"], start: 16, end: 21 },
    ]);
  });

  it("rejects empty placeholders, broken brackets and step references, and Mustache tags at compile time, with their offset", () => {
    for (const [source, index, token] of [
      ["ab {{}}", 3, "{{}}"],
      ["{{ }}", 0, "{{ }}"],
      ['x {{["a b"}}', 2, '{{["a b"}}'],
      ["{{[a]}}", 0, "{{[a]}}"],
      ["{{steps.sumary..output}}", 0, "{{steps.sumary..output}}"],
      ["{{steps.x.output.a b}}", 0, "{{steps.x.output.a b}}"],
      ["{{#if x}}", 0, "{{#if x}}"],
      ["a {{/if}}", 2, "{{/if}}"],
      ["{{> partial}}", 0, "{{> partial}}"],
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

describe("field names that are not paths (CSV headers as spreadsheets write them)", () => {
  it("reads a field whose name has spaces, colons or other signs, the inside trimmed", () => {
    const row = { "Review Text": "Lovely dress", "Unnamed: 0": "7", "Price (USD)": "30", "No.": "4", "1st choice": "red", "a..b": "x" };
    expect(compileTemplate("{{Review Text}} / {{ Unnamed: 0 }} / {{Price (USD)}} / {{No.}} / {{1st choice}} / {{a..b}}").render(row)).toBe("Lovely dress / 7 / 30 / 4 / red / x");
  });

  it("names the field in the missing-variable error as written", () => {
    expect(() => compileTemplate("{{Review Text}}").render({ "Review text": "x" })).toThrow('template variable "Review Text" is missing from the record');
  });

  it("reads keys in brackets anywhere on a path, with double or single quotes and escapes", () => {
    const rec = { customer: { "first name": "Ada", tags: ["vip"] }, 'say "hi"': "hello" };
    expect(compileTemplate('{{customer["first name"]}} {{ customer[\'first name\'] }} {{customer.tags[0]}} {{["say \\"hi\\""]}}').render(rec)).toBe("Ada Ada vip hello");
    expect(compileTemplate('{{steps.x.output["a key"]}}').placeholders[0]!.segments).toEqual(["steps", "x", "output", "a key"]);
  });

  it("gives an exact field name precedence over the path, with brackets to choose either", () => {
    const rec = { "a.b": "flat", a: { b: "nested" } };
    expect(compileTemplate("{{a.b}}").render(rec)).toBe("flat");
    expect(compileTemplate('{{a["b"]}}').render(rec)).toBe("nested");
    expect(compileTemplate('{{["a.b"]}}').render(rec)).toBe("flat");
    expect(() => compileTemplate('{{["a.b"]}}').render({ a: { b: "nested" } })).toThrow('template variable "["a.b"]" is missing');
    // A field named like the whole inside wins over the bracket walk too.
    expect(compileTemplate('{{a["b"]}}').render({ 'a["b"]': "odd", a: { b: "nested" } })).toBe("odd");
  });

  it("writes a field whose name starts with a Mustache sign in brackets", () => {
    expect(compileTemplate('{{["# of items"]}}').render({ "# of items": 3 })).toBe("3");
    expect(() => compileTemplate("{{# of items}}")).toThrow('a field whose name starts with "#" is written {{["# of items"]}}');
  });
});
