import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { bpeEncoding, type EncodingName } from "../../src/tokens/bpe.js";

// The reference: gpt-tokenizer's own encoder over the same rank data.
interface Reference {
  encode(text: string, options: { disallowedSpecial: Set<string> }): number[];
  countTokens(text: string, options: { disallowedSpecial: Set<string> }): number;
}
const requireCjs = createRequire(import.meta.url);
const reference = (name: EncodingName) => requireCjs(`gpt-tokenizer/encoding/${name}`) as Reference;
const PLAIN = { disallowedSpecial: new Set<string>() };

/** A deterministic generator, so a failure names a text that can be reproduced. */
function rng(seed: number) {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const FIXED = [
  "",
  "Hello!",
  "You are a helpful assistant.",
  "Summarize ticket 42: the customer cannot log in after the update and asks for help.",
  "  leading and trailing spaces   ",
  "tabs\tand\nnew\r\nlines\n\n\n",
  "I'm sure they've said we'll go, she'd know. DON'T SHOUT, I'LL LEAVE.",
  "Numbers 1 12 123 1234 12345 3.14159 -42 1e10 0x1F 1,000,000",
  "café naïve résumé Zürich Øresund ångström",
  "日本語のテキストと中文文本和한국어 텍스트",
  "Emoji 😀🎉👩‍👩‍👧‍👦 flags 🇫🇷🇯🇵 and ✓ ✗ → ←",
  "Русский текст и ελληνικά και العربية و עברית",
  "function f(x) { return x * 2; } // code\nconst a = [1, 2, 3].map((v) => v ** 2);",
  '{"id":"req-1","prompt":"say <|endoftext|> and <|im_start|> plainly"}',
  "https://example.com/path?query=1&b=2#frag  user@example.com",
  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
  "Supercalifragilisticexpialidocious antidisestablishmentarianism pneumonoultramicroscopicsilicovolcanoconiosis",
  "\u0000\u0001\u0007 control \u001b[31mred\u001b[0m",
  "mixedCASEWordsLikeThis andThat HTTPServerError XMLHttpRequest",
];

const ALPHABETS = [
  "abcdefghijklmnopqrstuvwxyz",
  "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
  "0123456789",
  " \t\n\r",
  ".,;:!?'\"()[]{}<>/\\|-_=+*&^%$#@~`",
  "éèêëàâäôöûüçñßøåæœ",
  "日本語中文한국어テキスト",
  "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
  "😀🎉👍🔥✨",
];

function randomText(next: () => number, length: number): string {
  let out = "";
  while (out.length < length) {
    const alphabet = ALPHABETS[Math.floor(next() * ALPHABETS.length)]!;
    const run = 1 + Math.floor(next() * 12);
    const chars = [...alphabet];
    for (let i = 0; i < run; i++) out += chars[Math.floor(next() * chars.length)];
  }
  return out;
}

describe.each(["o200k_base", "cl100k_base"] as const)("bpe %s", (name) => {
  const ours = bpeEncoding(name);
  const ref = reference(name);

  it("encodes fixed texts token for token like gpt-tokenizer", () => {
    for (const text of FIXED) {
      expect(ours.encode(text), JSON.stringify(text)).toEqual(ref.encode(text, PLAIN));
      expect(ours.count(text)).toBe(ref.countTokens(text, PLAIN));
    }
  });

  it("agrees with gpt-tokenizer on 400 random mixed-script texts", () => {
    const next = rng(name === "o200k_base" ? 1 : 2);
    for (let k = 0; k < 400; k++) {
      const text = randomText(next, 1 + Math.floor(next() * 300));
      expect(ours.encode(text), JSON.stringify(text)).toEqual(ref.encode(text, PLAIN));
    }
  });

  it("merges long pieces (the heap path) exactly as the scan does", () => {
    const next = rng(3);
    // Runs of letters with no break are single pre-token pieces of hundreds of bytes.
    const texts = [
      "a".repeat(1000),
      "ab".repeat(700),
      Array.from({ length: 600 }, () => "etaoinshrdlu"[Math.floor(next() * 12)]).join(""),
      Array.from({ length: 300 }, () => "éçñøå"[Math.floor(next() * 5)]).join(""),
      Array.from({ length: 250 }, () => "日本語中文"[Math.floor(next() * 5)]).join(""),
      `${" ".repeat(500)}x`,
    ];
    for (const text of texts) {
      expect(ours.encode(text), text.slice(0, 40)).toEqual(ref.encode(text, PLAIN));
    }
  });

  it("decodes what it encodes", () => {
    const next = rng(4);
    for (let k = 0; k < 50; k++) {
      const text = randomText(next, 200);
      expect(ours.decode(ours.encode(text))).toBe(text);
    }
  });

  it("refuses a token that is not in the encoding", () => {
    expect(() => ours.decode([10_000_000])).toThrow(/not in the encoding/);
  });
});
