import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { loneSurrogatePath, wellFormedJson } from "../../src/io/well-formed.js";

describe("wellFormedJson", () => {
  it("writes lone surrogates in values and keys as U+FFFD, and leaves everything else as JSON.stringify does", () => {
    const value = { ok: "emoji \u{1f600}", bad: "a\ud800b", list: ["\udfff"], ["k\udc00"]: { n: 1 }, literal: "\\ud800" };
    const text = wellFormedJson(value);
    expect(text).toBe(JSON.stringify({ ok: "emoji \u{1f600}", bad: "a\ufffdb", list: ["\ufffd"], ["k\ufffd"]: { n: 1 }, literal: "\\ud800" }));
    expect(wellFormedJson({ literal: "\\ud800" })).toBe(JSON.stringify({ literal: "\\ud800" }));
  });
});

describe("loneSurrogatePath", () => {
  it("names the first field holding one, and skips the walk for text without a surrogate escape", () => {
    const text = '{"a":{"b":["x","\\ud800"]}}';
    expect(loneSurrogatePath(text, JSON.parse(text))).toBe("a.b[1]");
    // The text decides whether to look: a value with no escape in its text is not walked.
    expect(loneSurrogatePath('{"a":"plain"}', { a: "\ud800" })).toBeUndefined();
    const pair = '{"a":"\\ud83d\\ude00"}';
    expect(loneSurrogatePath(pair, JSON.parse(pair))).toBeUndefined();
  });

  it("finds exactly the values that hold a lone surrogate, whatever the escaping (literal backslashes, pairs, Python-style \\u escapes)", () => {
    const unit = fc.constantFrom("\\", "u", "d", "8", "0", "c", "f", "\ud800", "\udc00", "\udbff", "\udfff", "\u{1f600}", "a", "é", '"');
    const asciiJson = (v: unknown) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
    fc.assert(
      fc.property(fc.dictionary(fc.string({ unit, maxLength: 4 }), fc.string({ unit, maxLength: 10 }), { maxKeys: 3 }), fc.boolean(), (value, ascii) => {
        const text = ascii ? asciiJson(value) : JSON.stringify(value);
        const lone = Object.entries(value).some(([k, v]) => !k.isWellFormed() || !v.isWellFormed());
        expect(loneSurrogatePath(text, JSON.parse(text)) !== undefined).toBe(lone);
      }),
      { seed: 16, numRuns: 20_000 },
    );
  });
});
