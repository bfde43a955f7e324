import { describe, expect, it } from "vitest";
import { compileCondition, ConditionError } from "../../src/lang/condition.js";
import { compileJsonPath, JsonPathError, parseJsonReply } from "../../src/lang/json-path.js";

const scope = { lang: "fr", score: 0.4, steps: { t: { output: { urgent: true, label: "bug", tags: ["a"] } }, s: { output: null } } };
const when = (src: string) => compileCondition(src).evaluate(scope);

describe("when: conditions", () => {
  it("compares strictly, combines with && || ! and parentheses, and reads missing paths as null", () => {
    expect(when('lang != "en"')).toBe(true);
    expect(when("steps.t.output.urgent == true && score < 0.5")).toBe(true);
    expect(when("!(steps.t.output.urgent) || steps.t.output.label == 'other'")).toBe(false);
    expect(when("steps.s.output == null && steps.t.output.nope == null")).toBe(true);
    expect(when('score == "0.4"')).toBe(false);
    expect(when("lang > 1")).toBe(false);
    expect(when("steps.t.output.tags == steps.t.output.tags")).toBe(true);
    expect(when("steps.s.output")).toBe(false);
  });

  it("reports syntax errors with the offset of the offending token", () => {
    const err = (src: string) => {
      try {
        compileCondition(src);
      } catch (e) {
        expect(e).toBeInstanceOf(ConditionError);
        return [(e as ConditionError).index, (e as Error).message];
      }
      return expect.unreachable();
    };
    expect(err("a == ")).toEqual([5, "the condition ends where a value was expected"]);
    expect(err("(a == 1")).toEqual([0, 'missing ")" for the "(" at column 1']);
    expect(err("a = 1")).toEqual([2, 'unexpected character "=" at column 3']);
    expect(err("a b")).toEqual([2, 'unexpected "b" at column 3']);
  });
});

describe("JSON paths and JSON replies", () => {
  it("walks keys, quoted keys, indexes (negative from the end) and [*]", () => {
    const v = { a: { "b c": [1, 2, 3] }, items: [{ n: "x" }, { n: "y" }, {}] };
    expect(compileJsonPath("$").get(v)).toBe(v);
    expect(compileJsonPath('$.a["b c"][-1]').get(v)).toBe(3);
    expect(compileJsonPath("$.items[*].n").get(v)).toEqual(["x", "y"]);
    expect(compileJsonPath("$.items[5].n").get(v)).toBeUndefined();
    expect(() => compileJsonPath("$.a..b")).toThrow(JsonPathError);
  });

  it("parses replies wrapped in code fences or prose, and reports the whole text's error otherwise", () => {
    expect(parseJsonReply('Here you go: {"a": 1}. Anything else?')).toEqual({ a: 1 });
    expect(parseJsonReply("```json\n[1, 2]\n```")).toEqual([1, 2]);
    expect(() => parseJsonReply("{broken")).toThrow(SyntaxError);
  });
});
