import { describe, expect, it } from "vitest";
import { canonicalJson, contentKey, formatContentId, parseContentId } from "../../src/io/content-id.js";

describe("content ids", () => {
  it("writes canonical JSON: keys sorted at every level, JSON.stringify's value rules", () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }, undefined, () => 1], c: 2, u: undefined }, t: new Date(0), e: [], o: {} })).toBe(
      '{"a":{"c":2,"d":[{"y":2,"z":1},null,null]},"b":1,"e":[],"o":{},"t":"1970-01-01T00:00:00.000Z"}',
    );
    expect(canonicalJson({ s: 'quote " and \n', n: -0, big: 12n, inf: Number.POSITIVE_INFINITY })).toBe('{"big":12,"inf":null,"n":0,"s":"quote \\" and \\n"}');
  });

  it("handles nesting deeper than the call stack, and refuses a cycle", () => {
    const deep = JSON.parse(`${"[".repeat(50_000)}${"]".repeat(50_000)}`) as unknown;
    expect(canonicalJson(deep)).toHaveLength(100_000);
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(/nested more than 100000 levels deep \(or refers to itself\)/);
  });

  it("formats and parses back exactly, rejecting near misses", () => {
    const { hi, lo } = contentKey({ prompt: "x" });
    const id = formatContentId(hi, lo, 1);
    expect(id).toMatch(/^c:[0-9a-f]{16}$/);
    expect(parseContentId(id)).toEqual({ hi, lo, occurrence: 1 });
    expect(parseContentId(`${id}#12`)).toEqual({ hi, lo, occurrence: 12 });
    expect(formatContentId(0, 255, 3)).toBe("c:00000000000000ff#3");
    for (const miss of [id.toUpperCase(), `${id}#1`, `${id}#02`, `${id}#`, `${id}x`, id.slice(0, -1), `d${id.slice(1)}`]) {
      expect(parseContentId(miss)).toBeUndefined();
    }
  });
});
