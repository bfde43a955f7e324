/**
 * The regular expressions a pipeline gives (an extract step's `regex`, a JSON Schema's `pattern`)
 * run on RE2 (the `re2js` port), whose matching time grows linearly with the text. JavaScript's
 * own engine backtracks: `(a+)+$` on 34 `a`s and a `!` takes minutes, blocks the thread, and not
 * even a signal can stop it. A model's reply is not ours to trust, so no user pattern runs there.
 *
 * Patterns are still written in JavaScript syntax and mean what they mean in JavaScript: this
 * module translates them token by token (`.` and `\s` keep JavaScript's line terminators and
 * whitespace, identity escapes such as `\z` stay literal letters, `[` inside a class stays a
 * literal). What RE2 cannot run (backreferences, lookahead, lookbehind) is refused with the
 * construct named, never run with another meaning. Known differences, documented in the README:
 * with `m`, `^` and `$` match at `\n` only; a group inside a repetition keeps its last match; a
 * repeated group that can match nothing (`(?:.*?)*`) may stop sooner; matching is by code point
 * and case folding is Unicode's, as JavaScript does with `u`. The differential test checks the rest.
 */
import type { RE2JS as RE2JSClass } from "re2js";
import { lazyModule } from "../lazy-module.js";

// About 260 KB of code: loaded by the first pipeline that has a pattern, not by every run.
const re2js = lazyModule<typeof import("re2js")>("re2js");

/** A pattern llmbatch cannot run. `construct` names it: "a backreference (\1)". */
export class UnsupportedRegexError extends Error {
  constructor(readonly construct: string) {
    super(`it uses ${construct}, which llmbatch cannot run: patterns run on RE2, a linear-time engine, so that no pattern can stall a run`);
    this.name = "UnsupportedRegexError";
  }
}

/** The first match: `[whole, group 1, …]` (undefined for a group that took no part), named groups in `groups`. */
export type RegexMatch = (string | undefined)[] & { groups?: Record<string, string | undefined> };

export interface LinearRegex {
  exec(text: string): RegexMatch | null;
  test(text: string): boolean;
}

/**
 * Compiles a JavaScript pattern (flags from `imsu`) to a linear-time matcher.
 * @throws SyntaxError when JavaScript itself rejects the pattern (its message names the problem).
 * @throws UnsupportedRegexError for what RE2 cannot run.
 */
export function compileLinearRegex(source: string, flags = ""): LinearRegex {
  // Compiling (never running) it with JavaScript's engine keeps JavaScript the language: its syntax
  // errors, and everything below may assume a well-formed pattern.
  new RegExp(source, flags);
  const { RE2JS, RE2JSException } = re2js();
  const translated = toRe2Syntax(source, flags);
  let re: RE2JSClass;
  try {
    re = RE2JS.compile(translated, (flags.includes("i") ? RE2JS.CASE_INSENSITIVE : 0) | (flags.includes("m") ? RE2JS.MULTILINE : 0));
  } catch (e) {
    // Valid JavaScript that RE2 refuses: a repeat count over 1000, a group name or Unicode property it does not know.
    if (e instanceof RE2JSException) throw new UnsupportedRegexError(`something RE2 does not support (${e.message.replace(/^error parsing regexp: /, "")})`);
    throw e;
  }
  return { exec: (text) => re.exec(text) as RegexMatch | null, test: (text) => re.test(text) };
}

/** JavaScript's `\s`: WhiteSpace and LineTerminator (ECMA-262 §22.2.2.9), as RE2 class ranges. */
const SPACE = "\\t\\n\\x{0B}\\f\\r \\x{A0}\\x{1680}\\x{2000}-\\x{200A}\\x{2028}\\x{2029}\\x{202F}\\x{205F}\\x{3000}\\x{FEFF}";
/** JavaScript's `\S`, spelled out so it also works inside a class (`[^\S\n]`), where RE2 has no class negation. */
const NON_SPACE =
  "\\x{0}-\\x{08}\\x{0E}-\\x{1F}\\x{21}-\\x{9F}\\x{A1}-\\x{167F}\\x{1681}-\\x{1FFF}\\x{200B}-\\x{2027}\\x{202A}-\\x{202E}\\x{2030}-\\x{205E}\\x{2060}-\\x{2FFF}\\x{3001}-\\x{FEFE}\\x{FF00}-\\x{10FFFF}";
const ANY = "\\x{0}-\\x{10FFFF}";
/** `.` without the `s` flag: anything but JavaScript's four line terminators. */
const DOT = "[^\\n\\r\\x{2028}\\x{2029}]";

/** One item of a class, or one escape: a code point, a set of them (RE2 class syntax), or an assertion. */
type Atom = { cp: number } | { set: string } | { raw: string };

const lit = (cp: number): string => `\\x{${cp.toString(16)}}`;
const isDigit = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "9";
const isOctal = (c: string | undefined): boolean => c !== undefined && c >= "0" && c <= "7";
const isHex = (c: string | undefined): boolean => c !== undefined && /^[0-9a-fA-F]$/.test(c);
const QUANTIFIER = /\{\d+(,\d*)?\}/y;

/** The pattern in RE2 syntax, with JavaScript's meaning. Exported for the differential test. */
export function toRe2Syntax(source: string, flags: string): string {
  return new Translator(source, flags.includes("u"), flags.includes("s")).translate();
}

class Translator {
  #i = 0;
  readonly #groups: number;
  readonly #named: boolean;

  constructor(
    private readonly src: string,
    private readonly unicode: boolean,
    private readonly dotAll: boolean,
  ) {
    ({ groups: this.#groups, named: this.#named } = countGroups(src));
  }

  translate(): string {
    const s = this.src;
    let out = "";
    while (this.#i < s.length) {
      const c = s[this.#i]!;
      if (c === "\\") {
        const a = this.#escape(false);
        out += "raw" in a ? a.raw : "set" in a ? `[${a.set}]` : lit(a.cp);
      } else if (c === "[") out += this.#charClass();
      else if (c === "(") out += this.#group();
      else if (c === ".") {
        out += this.dotAll ? `[${ANY}]` : DOT;
        this.#i++;
      } else if (c === "{") {
        QUANTIFIER.lastIndex = this.#i;
        const q = QUANTIFIER.exec(s)?.[0];
        // Not a quantifier: a literal brace, as JavaScript reads it without `u`.
        out += q ?? "\\{";
        this.#i += q?.length ?? 1;
      } else if (c === "}" || c === "]") {
        out += `\\${c}`;
        this.#i++;
      } else {
        const cp = s.codePointAt(this.#i)!;
        out += String.fromCodePoint(cp);
        this.#i += cp > 0xffff ? 2 : 1;
      }
    }
    return out;
  }

  #group(): string {
    const s = this.src;
    const at = (prefix: string) => s.startsWith(prefix, this.#i);
    if (at("(?=")) throw new UnsupportedRegexError("a lookahead ((?=…))");
    if (at("(?!")) throw new UnsupportedRegexError("a negative lookahead ((?!…))");
    if (at("(?<=")) throw new UnsupportedRegexError("a lookbehind ((?<=…))");
    if (at("(?<!")) throw new UnsupportedRegexError("a negative lookbehind ((?<!…))");
    if (at("(?<")) {
      this.#i += 3;
      return "(?P<";
    }
    if (at("(?:")) {
      this.#i += 3;
      return "(?:";
    }
    // Newer engines accept inline modifiers; `s` there would change `.`, which is translated here.
    if (at("(?")) throw new UnsupportedRegexError("an inline modifier ((?i:…)); use the step's flags instead");
    this.#i++;
    return "(";
  }

  #charClass(): string {
    const s = this.src;
    this.#i++; // [
    const negated = s[this.#i] === "^";
    if (negated) this.#i++;
    let body = "";
    while (s[this.#i] !== "]") {
      const first = this.#classAtom();
      if (s[this.#i] === "-" && s[this.#i + 1] !== "]" && this.#i + 1 < s.length) {
        this.#i++;
        const second = this.#classAtom();
        // A range needs two characters; beside a class escape (`[\d-z]`) the dash is literal.
        if ("cp" in first && "cp" in second) body += `${lit(first.cp)}-${lit(second.cp)}`;
        else body += classText(first) + lit(0x2d) + classText(second);
      } else body += classText(first);
    }
    this.#i++; // ]
    if (body === "") return negated ? `[${ANY}]` : `[^${ANY}]`; // [^] is anything, [] is nothing
    return `[${negated ? "^" : ""}${body}]`;
  }

  #classAtom(): Atom {
    const s = this.src;
    if (s[this.#i] === "\\") return this.#escape(true);
    const cp = s.codePointAt(this.#i)!;
    this.#i += cp > 0xffff ? 2 : 1;
    return { cp };
  }

  /** The escape at `#i` (a backslash), consumed. */
  #escape(inClass: boolean): Atom {
    const s = this.src;
    const d = s[this.#i + 1]!;
    this.#i += 2;
    switch (d) {
      case "d":
      case "D":
      case "w":
      case "W":
        return { set: `\\${d}` };
      case "s":
        return { set: SPACE };
      case "S":
        return { set: NON_SPACE };
      case "b":
        return inClass ? { cp: 8 } : { raw: "\\b" };
      case "B":
        return inClass ? { cp: 0x42 } : { raw: "\\B" };
      case "t":
        return { cp: 9 };
      case "n":
        return { cp: 10 };
      case "v":
        return { cp: 11 };
      case "f":
        return { cp: 12 };
      case "r":
        return { cp: 13 };
      case "c":
        return this.#control(inClass);
      case "x":
        if (isHex(s[this.#i]) && isHex(s[this.#i + 1])) {
          this.#i += 2;
          return { cp: parseInt(s.slice(this.#i - 2, this.#i), 16) };
        }
        return { cp: 0x78 }; // `\x` without two hex digits is "x"
      case "u":
        return this.#unicodeEscape();
      case "p":
      case "P":
        return this.unicode ? this.#property(d) : { cp: d.codePointAt(0)! };
      case "k":
        if (this.unicode || this.#named) {
          const end = s.indexOf(">", this.#i);
          throw new UnsupportedRegexError(`a backreference (\\k${s.slice(this.#i, end + 1)})`);
        }
        return { cp: 0x6b };
      default: {
        if (isDigit(d)) return this.#decimalEscape(d, inClass);
        // An identity escape: `\.`, `\/`, and without `u` also `\z` or `\A`, which are letters in JavaScript.
        this.#i -= 1;
        const cp = s.codePointAt(this.#i)!;
        this.#i += cp > 0xffff ? 2 : 1;
        return { cp };
      }
    }
  }

  /** `\cJ` is a control character; without `u`, a `\c` that is not is a backslash and a "c". */
  #control(inClass: boolean): Atom {
    const next = this.src[this.#i];
    const letter = next !== undefined && /^[A-Za-z]$/.test(next);
    // Inside a class, JavaScript (Annex B) also takes digits and "_" after \c.
    if (letter || (inClass && next !== undefined && /^[0-9_]$/.test(next))) {
      this.#i++;
      return { cp: next!.charCodeAt(0) % 32 };
    }
    this.#i -= 1; // leave the "c" to be read as itself
    return { cp: 0x5c };
  }

  #unicodeEscape(): Atom {
    const s = this.src;
    if (this.unicode && s[this.#i] === "{") {
      const end = s.indexOf("}", this.#i);
      const cp = parseInt(s.slice(this.#i + 1, end), 16);
      this.#i = end + 1;
      return { cp };
    }
    const unit = this.#hex4(this.#i);
    if (unit === undefined) return { cp: 0x75 }; // `\u` without four hex digits is "u"
    this.#i += 4;
    // A surrogate pair written as two escapes is one character (RE2 matches code points).
    if (unit >= 0xd800 && unit <= 0xdbff && s.startsWith("\\u", this.#i)) {
      const low = this.#hex4(this.#i + 2);
      if (low !== undefined && low >= 0xdc00 && low <= 0xdfff) {
        this.#i += 6;
        return { cp: 0x10000 + ((unit - 0xd800) << 10) + (low - 0xdc00) };
      }
    }
    return { cp: unit };
  }

  #hex4(at: number): number | undefined {
    const h = this.src.slice(at, at + 4);
    return h.length === 4 && [...h].every(isHex) ? parseInt(h, 16) : undefined;
  }

  /** `\p{…}` with `u`: General_Category values pass as they are; `Script=` becomes RE2's bare script name. */
  #property(d: string): Atom {
    const s = this.src;
    const end = s.indexOf("}", this.#i);
    const spec = s.slice(this.#i + 1, end);
    this.#i = end + 1;
    const [name, value] = spec.split("=") as [string, string | undefined];
    if (value === undefined) return { set: `\\${d}{${name}}` };
    if (name === "Script" || name === "sc" || name === "General_Category" || name === "gc") return { set: `\\${d}{${value}}` };
    throw new UnsupportedRegexError(`the Unicode property \\${d}{${spec}}`);
  }

  /**
   * `\1`…: a backreference when the pattern has that many groups (always with `u`); otherwise, as
   * JavaScript reads it without `u` (Annex B), an octal escape, or a literal "8"/"9".
   */
  #decimalEscape(d: string, inClass: boolean): Atom {
    const s = this.src;
    let end = this.#i;
    while (isDigit(s[end])) end++;
    const n = Number(s.slice(this.#i - 1, end));
    if (d !== "0" && !inClass && (this.unicode || n <= this.#groups)) throw new UnsupportedRegexError(`a backreference (\\${n})`);
    if (d === "0" && !isDigit(s[this.#i])) return { cp: 0 };
    if (!isOctal(d)) return { cp: d.charCodeAt(0) };
    let value = Number(d);
    let digits = 1;
    while (digits < 3 && isOctal(s[this.#i]) && value * 8 + Number(s[this.#i]) <= 0o377) {
      value = value * 8 + Number(s[this.#i]);
      this.#i++;
      digits++;
    }
    return { cp: value };
  }
}

function classText(a: Atom): string {
  if ("cp" in a) return lit(a.cp);
  if ("set" in a) return a.set;
  return a.raw;
}

/** How many capturing groups, and whether any is named (for reading `\1` and `\k` without `u`). */
function countGroups(s: string): { groups: number; named: boolean } {
  let groups = 0;
  let named = false;
  let inClass = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === "\\") i++;
    else if (inClass) inClass = c !== "]";
    else if (c === "[") inClass = true;
    else if (c === "(") {
      if (s[i + 1] !== "?") groups++;
      else if (s[i + 2] === "<" && s[i + 3] !== "=" && s[i + 3] !== "!") {
        groups++;
        named = true;
      }
    }
  }
  return { groups, named };
}
