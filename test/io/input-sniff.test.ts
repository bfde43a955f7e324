import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { cellsPerRow, csvHeaderInJsonl, parseDelimiter, peek, sniffDelimiter, sniffEnough } from "../../src/io/input-sniff.js";
import { chunked, collect } from "./helpers.js";

describe("sniffDelimiter", () => {
  it("takes the only delimiter that splits the header, outside quotes", () => {
    expect(sniffDelimiter("id;text;class\n1;a, b;c\n", true).delimiter).toBe(";");
    expect(sniffDelimiter("id\ttext\n1\ta;b,c|d\n", true).delimiter).toBe("\t");
    expect(sniffDelimiter('"a;b","c;d"\n1,2\n', true).delimiter).toBe(",");
    expect(sniffDelimiter("a|b|c\n", true).delimiter).toBe("|");
  });

  it("when several split the header, the one that splits the next rows alike wins, then more header cells, then , tab ; |", () => {
    // `,` splits the header in 2 and `;` in 3; the rows agree with `;`.
    expect(sniffDelimiter("id;name;comment, free\n1;Ann;good, nice\n2;Bob;bad\n", true)).toEqual({ delimiter: ";", headerCells: 3 });
    // The rows agree with `,` (decimal commas would not: they split rows unevenly).
    expect(sniffDelimiter("a,b;c,d\n1,2,3\n4,5,6\n", true).delimiter).toBe(",");
    // No rows to compare: the one with more header cells; a tie goes to the comma.
    expect(sniffDelimiter("a;b;c,d\n", true).delimiter).toBe(";");
    expect(sniffDelimiter("a,b;c\n", true).delimiter).toBe(",");
  });

  it("says comma for a single column, and ignores quoted delimiters and a row still incomplete", () => {
    expect(sniffDelimiter("text\nhello; world\n", true)).toEqual({ delimiter: ",", headerCells: 1 });
    expect(cellsPerRow('a,"b\nc",d\n1,2', ",", false)).toEqual([3]);
    expect(cellsPerRow('a,"b\nc",d\n\n1,2', ",", true)).toEqual([3, 2]);
  });

  it("is content with the header line when only one delimiter splits it, else wants a few rows", () => {
    expect(sniffEnough(Buffer.from("a;b;c\n"))).toBe(true);
    expect(sniffEnough(Buffer.from("a;b,c\n1;2\n"))).toBe(false);
    expect(sniffEnough(Buffer.from("a;b,c\n1\n2\n3\n4\n5\n"))).toBe(true);
  });
});

describe("csvHeaderInJsonl", () => {
  const check = (text: string, complete = true) => csvHeaderInJsonl(Buffer.from(text), complete);

  it("finds a CSV header where JSON Lines was expected", () => {
    expect(check("id,text\n1,hello\n")).toEqual({ header: "id,text", delimiter: "," });
    expect(check('\ufeff\n"id";"text"\n')).toEqual({ header: '"id";"text"', delimiter: ";" });
    expect(check("id\ttext\n")).toEqual({ header: "id\ttext", delimiter: "\t" });
  });

  it("leaves a JSON Lines file with a broken first line to the reader", () => {
    expect(check('{"prompt": "a",\n{"prompt":"b"}\n')).toBeUndefined();
    expect(check('hello, world\n{"prompt":"b"}\n')).toBeUndefined();
    expect(check('["a","b"]\n')).toBeUndefined();
    expect(check("42\n")).toBeUndefined();
    expect(check("just some words\n")).toBeUndefined();
    // A first line cut off by the peek limit is not judged.
    expect(check("id,text", false)).toBeUndefined();
  });
});

describe("peek", () => {
  it("hands on every byte, the head included, however the input is chunked", async () => {
    const text = `header;row\n${"1;2\n".repeat(1000)}`;
    for (const size of [1, 7, 64 * 1024]) {
      const p = await peek(chunked(text, size), (head) => head.includes(0x0a));
      expect(p.head.toString()).toBe(size === 1 || size === 7 ? text.slice(0, p.head.length) : text);
      expect(Buffer.concat(await collect(p.source)).toString()).toBe(text);
    }
  });

  it("closes the source when it is never read on", async () => {
    const source = Readable.from(["a\n", "b\n", "c\n"]);
    const p = await peek(source, () => true);
    await p.close();
    expect(source.destroyed).toBe(true);
  });
});

describe("parseDelimiter", () => {
  it("takes one ASCII sign, a tab written as \\t or tab, and nothing that could be data", () => {
    expect([",", ";", "|", ":", "\t", "\\t", "TAB", " "].map(parseDelimiter)).toEqual([",", ";", "|", ":", "\t", "\t", "\t", " "]);
    expect(['"', "a", "1", ";;", "", "\n", "§"].map(parseDelimiter)).toEqual([undefined, undefined, undefined, undefined, undefined, undefined, undefined]);
  });
});
