import { describe, expect, it } from "vitest";
import { compileLinearRegex, UnsupportedRegexError } from "../../src/lang/linear-regex.js";
import { mulberry32 } from "../../src/simulator/rng.js";

/** What JavaScript's engine finds, in the shape the linear matcher returns (array and named groups). */
function native(source: string, flags: string, text: string): unknown {
  const m = new RegExp(source, flags).exec(text);
  return m === null ? null : { match: [...m], groups: m.groups === undefined ? undefined : { ...m.groups } };
}
function linear(source: string, flags: string, text: string): unknown {
  const m = compileLinearRegex(source, flags).exec(text);
  return m === null ? null : { match: [...m], groups: m.groups === undefined ? undefined : { ...m.groups } };
}
function refusal(source: string, flags = ""): string {
  try {
    compileLinearRegex(source, flags);
  } catch (e) {
    expect(e).toBeInstanceOf(UnsupportedRegexError);
    return (e as UnsupportedRegexError).construct;
  }
  return expect.unreachable(`${source} was accepted`);
}

const REPLY = "Thanks for writing in.\nYour refund for order #A-1042 (ref INV-20240517) was issued on 2024-05-17.\r\nLabel: Billing\u00a0· priority: HIGH\tcafé\u2028end";

describe("user patterns on a linear-time engine", () => {
  it("finds what JavaScript finds for the patterns extract steps use: groups, named groups, flags, classes, escapes", () => {
    const cases: [string, string][] = [
      ["ref (?<ref>INV-\\d+)", ""],
      ["(?<year>\\d{4})-(?<month>\\d\\d)-(\\d{2})", ""],
      ["label:\\s*(\\w+)", "i"],
      ["priority:\\s*(\\S+)", ""],
      ["^your (\\w+)", "im"],
      ["^(.*)$", ""],
      ["(.+)", "s"],
      ["order #([A-Z]-\\d{3,})", ""],
      ["\\bca(f\\xe9|fe)\\b", "iu"],
      ["(?:refund|return)s? for (\\w+)", ""],
      ["[^\\S\\n]+(\\w+)", ""],
      ["[\\d-]+", ""],
      ["\\((ref [^)]*)\\)", ""],
      ["issued on (.*?)\\.", ""],
      ["(\\d+)?x", ""],
      ["[.\\]\\[]", ""],
      ["\\u00e9|\\u{2028}", "u"],
      ["\\p{Lu}{2,}", "u"],
      ["\\p{Script=Latin}+", "u"],
      ["end$", ""],
      ["x{,3}|#", ""],
      ["\\z|\\Q|\\A", ""],
      ["[[:alpha:]]", ""],
      ["\\/|\\-|\\.", ""],
      ["[^]", ""],
      ["[]|T", ""],
    ];
    for (const [source, flags] of cases) expect(linear(source, flags, REPLY), `/${source}/${flags}`).toEqual(native(source, flags, REPLY));
  });

  it("agrees with JavaScript on generated patterns and texts (seeded, bounded)", () => {
    const rng = mulberry32(Number(process.env.LLMBATCH_FUZZ_SEED ?? 20240517));
    const rounds = Number(process.env.LLMBATCH_FUZZ_ROUNDS ?? 1500);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rng() * xs.length)]!;
    const ALPHABET = ["a", "b", "A", "B", "1", " ", "\n", "\r", "\u2028", "\t", "\u00a0", "\u3000", "\ufeff", "-", ".", "é", "É", "_", "x"];
    const ATOMS = ["a", "b", "A", "x", "\\d", "\\D", "\\w", "\\W", "\\s", "\\S", ".", "[ab]", "[^a\\s]", "[a-c1]", "[\\s\\d]", "[^\\S ]", "\\.", "-", "\\x41", "\\u00e9", "é", "\\t", "\\n", "[\\w-]"];
    const QUANT = ["", "", "", "*", "+", "?", "{2}", "{1,2}", "{0,}", "*?", "+?", "??"];
    const SOLID = ["", "", "+", "{2}", "{1,2}", "+?"];
    // Under a quantifier a group is non-capturing and cannot match the empty string: a capture inside a
    // repetition, and a repeated group that can match nothing, are the known, documented differences.
    const atom = (depth: number, solid: boolean): string => {
      const r = rng();
      if (depth < 2 && r < 0.15) return `(?:${alternation(depth + 1, true)})${pick(solid ? SOLID : QUANT)}`;
      if (depth < 2 && r < 0.25 && !solid) return `(${alternation(depth + 1, false)})`;
      return `${pick(ATOMS)}${pick(solid ? SOLID : QUANT)}`;
    };
    const sequence = (depth: number, solid: boolean): string => Array.from({ length: 1 + Math.floor(rng() * 3) }, () => atom(depth, solid)).join("");
    const alternation = (depth: number, solid: boolean): string => (rng() < 0.25 ? `${sequence(depth, solid)}|${sequence(depth, solid)}` : sequence(depth, solid));
    for (let round = 0; round < rounds; round++) {
      const source = `${rng() < 0.2 ? "^" : ""}${alternation(0, false)}${rng() < 0.2 ? "$" : ""}`;
      const flags = pick(["", "", "i", "s", "u", "iu", "m"]);
      // Texts short enough that JavaScript's backtracking stays quick on any generated pattern.
      const text = Array.from({ length: Math.floor(rng() * 10) }, () => pick(flags === "m" ? ALPHABET.filter((c) => c !== "\r" && c !== "\u2028") : ALPHABET)).join("");
      expect(linear(source, flags, text), `/${source}/${flags} on ${JSON.stringify(text)}`).toEqual(native(source, flags, text));
    }
  });

  it("runs a catastrophic pattern in linear time: (a+)+$ on 100,000 a's and a '!' finds nothing, promptly", () => {
    // JavaScript's engine would take longer than the age of the universe here; the test timeout would fail it.
    expect(compileLinearRegex("(a+)+$").exec(`${"a".repeat(100_000)}!`)).toBeNull();
    expect(compileLinearRegex("^(\\w+\\s?)*$").test(`${"word ".repeat(20_000)}!`)).toBe(false);
  });

  it("refuses what RE2 cannot run, naming the construct", () => {
    expect(refusal("(a)\\1")).toBe("a backreference (\\1)");
    expect(refusal("(?<q>['\"]).*\\k<q>")).toBe("a backreference (\\k<q>)");
    expect(refusal("price(?= USD)")).toBe("a lookahead ((?=…))");
    expect(refusal("^(?!spam)")).toBe("a negative lookahead ((?!…))");
    expect(refusal("(?<=\\$)\\d+")).toBe("a lookbehind ((?<=…))");
    expect(refusal("(?<!-)\\d+")).toBe("a negative lookbehind ((?<!…))");
    expect(refusal("\\p{Script_Extensions=Greek}", "u")).toBe("the Unicode property \\p{Script_Extensions=Greek}");
    expect(refusal("a{1001}")).toMatch(/^something RE2 does not support \(invalid repeat count/);
    // Without `u`, JavaScript reads these as an octal escape and a literal "k": not backreferences.
    expect(linear("\\2(a)", "", "\u0002a")).toEqual(native("\\2(a)", "", "\u0002a"));
    expect(linear("\\k<a>", "", "k<a>")).toEqual(native("\\k<a>", "", "k<a>"));
  });

  it("reports JavaScript's own syntax errors as SyntaxError", () => {
    expect(() => compileLinearRegex("(a")).toThrow(SyntaxError);
    expect(() => compileLinearRegex("\\p{Nope}", "u")).toThrow(SyntaxError);
  });

  it("differs from JavaScript only where docs/pipelines.md says: m-mode anchors, captures in repeated groups, repeated groups that match nothing", () => {
    expect(native("^b$", "m", "a\r\nb\r\n")).not.toBeNull();
    expect(linear("^b$", "m", "a\r\nb\r\n")).toBeNull();
    expect(native("(?:(a)|b)+", "", "ab")).toEqual({ match: ["ab", undefined], groups: undefined });
    expect(linear("(?:(a)|b)+", "", "ab")).toEqual({ match: ["ab", "a"], groups: undefined });
    expect(native("(?:.*?)*", "", "ab")).toEqual({ match: ["ab"], groups: undefined });
    expect(linear("(?:.*?)*", "", "ab")).toEqual({ match: [""], groups: undefined });
  });
});
