import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { looksLikeWindows1252, notUtf8Message, parseEncoding, toUtf8, utf16WithoutBom } from "../../src/io/text-encoding.js";
import { chunked, collect, invalids, records } from "./helpers.js";

const decode = async (bytes: Buffer, encoding: Parameters<typeof toUtf8>[1], size: number) => Buffer.concat(await collect(toUtf8(chunked(bytes, size), encoding))).toString("utf8");

/** Windows-1252's 0x80–0x9F as the Unicode consortium's mapping table gives them (undefined bytes: their C1 code). */
const CP1252_HIGH = [
  0x20ac, 0x81, 0x201a, 0x192, 0x201e, 0x2026, 0x2020, 0x2021, 0x2c6, 0x2030, 0x160, 0x2039, 0x152, 0x8d, 0x17d, 0x8f, 0x90, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014, 0x2dc, 0x2122,
  0x161, 0x203a, 0x153, 0x9d, 0x17e, 0x178,
];

describe("toUtf8", () => {
  it("decodes every Windows-1252 byte", async () => {
    const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
    const expected = Array.from({ length: 256 }, (_, i) => String.fromCodePoint(i >= 0x80 && i < 0xa0 ? CP1252_HIGH[i - 0x80]! : i)).join("");
    for (const size of [1, 3, 256]) expect(await decode(all, "windows-1252", size)).toBe(expected);
  });

  it("decodes UTF-16 in either byte order, with pairs and characters split across chunks", async () => {
    const text = "a\u00e9\u20ac \u{1f600} \u{10348}z\n";
    for (const size of [1, 3, 5, 1024]) {
      expect(await decode(Buffer.from(text, "utf16le"), "utf-16le", size)).toBe(text);
      expect(await decode(Buffer.from(text, "utf16le").swap16(), "utf-16be", size)).toBe(text);
    }
  });

  it("turns a lone UTF-16 surrogate into a byte that is not UTF-8, so its line is reported, not sent with U+FFFD", async () => {
    const le = Buffer.concat([Buffer.from("id,prompt\n1,ok\n2,bad ", "utf16le"), Buffer.from([0x00, 0xd8]), Buffer.from("\n3,fine\n", "utf16le")]);
    const items = await collect(readCsv(toUtf8(chunked(le, 3), "utf-16le")));
    expect(records(items).map((r) => r.prompt)).toEqual(["ok", "fine"]);
    expect(invalids(items)).toEqual([{ id: "2", line: 3, message: expect.stringMatching(/^not valid UTF-8/) }]);
  });
});

describe("toUtf8 from Windows-1252: a file that is really UTF-8", () => {
  const seen = async (bytes: Buffer, size: number) => {
    const told: [number, string][] = [];
    await collect(toUtf8(chunked(bytes, size), "windows-1252", (line, found) => told.push([line, found.toString("hex")])));
    return told;
  };

  it("tells the first UTF-8 character once, with its line (LF, CRLF and lone CR ends), wherever the chunks split it", async () => {
    const file = Buffer.from("id,text\r\n1,plain\r2,plain\n3,caf\u00e9 \u201cq\u201d\n4,\u00fcber\n");
    for (const size of [1, 2, 3, 7, 1024]) expect(await seen(file, size)).toEqual([[4, "c3a9"]]);
    expect(await seen(Buffer.from("a\n\n\u20ac\n"), 1)).toEqual([[3, "e282ac"]]);
  });

  it("says nothing of real Windows-1252 text, nor of Â before a euro sign (c2 80)", async () => {
    const cp1252 = Buffer.from([...Buffer.from("id,text\n1,caf"), 0xe9, 0x20, 0x93, 0x71, 0x94, 0x0a, ...Buffer.from("2,"), 0xc2, 0x80, 0x0a, 0xfc, 0x62, 0x65, 0x72, 0x0a]);
    for (const size of [1, 3, 1024]) expect(await seen(cp1252, size)).toEqual([]);
  });

  it("marks a UTF-16 file cut short apart from a lone surrogate, and says which", async () => {
    const odd = Buffer.concat([Buffer.from("id\n1\n", "utf16le"), Buffer.from([0x32])]);
    const out = Buffer.concat(await collect(toUtf8(chunked(odd, 3), "utf-16le")));
    expect(notUtf8Message(out.subarray(out.lastIndexOf(0x0a) + 1), "utf-16le", 3)).toBe(
      "not valid UTF-16: the file ends at line 3 with an odd byte (UTF-16 text is pairs of bytes; the file is cut short)",
    );
    expect(notUtf8Message(Buffer.from([0xff]), "utf-16be", 7)).toMatch(/^not valid UTF-16: a lone UTF-16 surrogate at line 7 /);
  });
});

describe("encoding names and hints", () => {
  it("accepts the usual names and reads latin1 as Windows-1252", () => {
    expect(["UTF-8", "utf8", "cp1252", "Windows-1252", "latin1", "ISO-8859-1", "utf-16", "UTF16LE", "utf-16be"].map((n) => parseEncoding("--encoding", n))).toEqual([
      "utf-8",
      "utf-8",
      "windows-1252",
      "windows-1252",
      "windows-1252",
      "windows-1252",
      "utf-16le",
      "utf-16le",
      "utf-16be",
    ]);
    expect(() => parseEncoding("--encoding", "shift_jis")).toThrow('--encoding must be one of utf-8, windows-1252 (cp1252), latin1 (iso-8859-1), utf-16, utf-16le, utf-16be, got "shift_jis"');
  });

  it("hints --encoding windows-1252 for Western text, not for double-byte or Cyrillic text", () => {
    expect(looksLikeWindows1252(Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x20, 0x93, 0x71, 0x94]))).toBe(true);
    expect(looksLikeWindows1252(Buffer.from([0x4d, 0xfc, 0xdf, 0x69, 0x67]))).toBe(true); // Müßig
    expect(looksLikeWindows1252(Buffer.from([0x82, 0xa0, 0x82, 0xa2, 0x82, 0xa4]))).toBe(false); // あいう in Shift-JIS
    expect(looksLikeWindows1252(Buffer.from([0xcf, 0xf0, 0xe8, 0xe2, 0xe5, 0xf2]))).toBe(false); // Привет in Windows-1251
    expect(notUtf8Message(Buffer.from([0xe9]))).toContain("run with --encoding windows-1252");
    expect(notUtf8Message(Buffer.from([0xcf, 0xf0, 0xe8]))).toMatch(/^not valid UTF-8: save the file as UTF-8, or name its encoding with --encoding/);
  });

  it("tells UTF-16 without a byte order mark from UTF-8", () => {
    expect(utf16WithoutBom(Buffer.from("id,text\n1,\u{1f600} \u201cq\u201d\n", "utf16le"))).toBe("utf-16le");
    expect(utf16WithoutBom(Buffer.from("id,text\n", "utf16le").swap16())).toBe("utf-16be");
    expect(utf16WithoutBom(Buffer.from("id,text\n1,caf\u00e9\n"))).toBeUndefined();
  });
});
