import { afterAll, describe, expect, it } from "vitest";
import { openInput, type InputFormat } from "../../src/io/open-input.js";
import { countRecords, RecordCounter } from "../../src/io/record-count.js";
import { collect, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

/** What the reader yields for a file: one item per record, good or bad (each gets an output line). */
async function readerCount(path: string, format: InputFormat): Promise<number> {
  return (await collect(openInput(path, { format }).items)).length;
}

/** The counter fed in pieces of `size` bytes, so every quote, CR and LF lands on a chunk boundary once. */
function countInPieces(content: Buffer, format: InputFormat, size: number): number {
  const counter = new RecordCounter(format);
  for (let i = 0; i < content.length; i += size) counter.feed(content.subarray(i, i + size));
  return counter.records;
}

const cases: [name: string, format: InputFormat, content: string][] = [
  ["jsonl with blank and whitespace lines, no final newline", "jsonl", '{"id":"a","prompt":"x"}\n\n  \t\n{"id":"b","prompt":"y"}\r\n\r\n{"id":"c","prompt":"z"}'],
  ["jsonl with a bad line", "jsonl", '{"id":"a","prompt":"x"}\n{"id":"b",\n{"id":"c","prompt":"z"}\n'],
  ["csv with quoted commas, quotes and line breaks", "csv", 'id,prompt\na,"one, two"\nb,"multi\nline\nprompt"\n\nc,"say ""hi"""\nd,"x\n\ny"\ne,last'],
  ["csv CRLF with multi-line cells and empty lines", "csv", 'id,prompt\r\na,"multi\r\nline"\r\n\r\nb,plain\r\nc,"x"\r\n'],
  ["csv with a quote inside an unquoted cell (one bad row)", "csv", 'id,prompt\na,5" screen\nb,"ok\nfine"\nc,plain\n'],
  ["csv with a row of the wrong length", "csv", "id,prompt\na,x,extra\nb,y\n"],
  ["csv whose last quoted cell is cut off", "csv", 'id,prompt\na,x\nb,"never closed\nc,z\n'],
  ["csv with a byte order mark and only a header", "csv", "\ufeffid,prompt\n"],
  ["tsv with stray quotes kept as text", "tsv", 'id\tprompt\nt1\tTranslate: "bonjour" please\nt2\t"quoted\ttab"\nt3\t"two\nlines"\n'],
];

describe("counting an input's records for the progress total", () => {
  for (const [name, format, content] of cases) {
    it(`counts what the reader yields: ${name}`, async () => {
      const path = tmp.file(`case.${format}`, content);
      const expected = await readerCount(path, format);
      expect(await countRecords(path, format)).toBe(expected);
      for (const size of [1, 2, 3, 5, 64]) expect(countInPieces(Buffer.from(content), format, size), `pieces of ${size}`).toBe(expected);
    });
  }

  it("counts a pandas export with multi-line reviews (CRLF, escaped quotes) as its rows, not its lines", async () => {
    const path = "test/fixtures/reviews-pandas-multiline.csv";
    const expected = await readerCount(path, "csv");
    expect(expected).toBe(8);
    expect(await countRecords(path, "csv")).toBe(expected);
  });

  it("counts a UTF-16 file (with its byte order mark) in characters, not bytes", async () => {
    // U+2022 (•) is the bytes 22 20 in UTF-16LE: a byte scan would take it for a quote.
    const text = 'id,prompt\n1,"• first\n• second"\n2,ąĢ plain\n';
    const path = tmp.file("utf16.csv", Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]));
    expect(await countRecords(path, "csv")).toBe(2);
  });
});
