import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { jsonNestsDeeperThan, MAX_NESTING_DEPTH, valueNestingProblem } from "../../src/io/nesting-depth.js";

/** The nesting depth of a parsed JSON value, the reference the byte scan must agree with. */
function depthOf(value: unknown): number {
  if (typeof value !== "object" || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depthOf));
}

describe("jsonNestsDeeperThan", () => {
  it("agrees with the parsed value's depth for any JSON text, strings with brackets, quotes and escapes included", () => {
    const text = fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a", "é", "\u{1f600}") });
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: "small" }, fc.integer(), text, fc.constant(null), fc.array(tie("node"), { maxLength: 4 }), fc.dictionary(text, tie("node"), { maxKeys: 4 })),
    })).node;
    fc.assert(
      fc.property(value, fc.integer({ min: 0, max: 8 }), (v, limit) => {
        const bytes = Buffer.from(JSON.stringify(v));
        expect(jsonNestsDeeperThan(bytes, limit)).toBe(depthOf(v) > limit);
      }),
      { seed: 16, numRuns: 2000 },
    );
  });

  it("counts the record's own object as level 1, at the default limit", () => {
    const at = (n: number) => Buffer.from(`{"d":${"[".repeat(n - 1)}${"]".repeat(n - 1)}}`);
    expect(jsonNestsDeeperThan(at(MAX_NESTING_DEPTH))).toBe(false);
    expect(jsonNestsDeeperThan(at(MAX_NESTING_DEPTH + 1))).toBe(true);
  });
});

describe("valueNestingProblem", () => {
  it("finds a value nested too deep, and a cycle, without overflowing itself", () => {
    let deep: unknown = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(valueNestingProblem({ deep })).toBe("too deep");
    const loop: Record<string, unknown> = { a: 1 };
    loop.self = { back: loop };
    expect(valueNestingProblem(loop)).toBe("circular");
    const shared = { x: 1 };
    expect(valueNestingProblem({ a: shared, b: [shared, shared] })).toBeUndefined();
    expect(valueNestingProblem({ d: JSON.parse(`${"[".repeat(999)}${"]".repeat(999)}`) })).toBeUndefined();
    expect(valueNestingProblem({ d: JSON.parse(`${"[".repeat(1000)}${"]".repeat(1000)}`) })).toBe("too deep");
  });
});
