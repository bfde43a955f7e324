import { afterAll, describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { openInput } from "../../src/io/open-input.js";
import { UsageError } from "../../src/errors.js";
import { chunked, collect, invalids, records, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const read = (content: string, chunk = 64 * 1024, delimiter: "," | "\t" = ",") => collect(readCsv(chunked(content, chunk), { delimiter }));

describe("CSV reader", () => {
  it("turns columns into vars, with id and prompt columns", async () => {
    const path = tmp.file("basic.csv", "id,prompt,lang\nr1,Hello,fr\n,Hi,de\n");
    const items = await collect(openInput(path).items);
    expect(items).toEqual([
      { kind: "record", record: { id: "r1", line: 2, prompt: "Hello", vars: { id: "r1", prompt: "Hello", lang: "fr" } } },
      // Empty id cell: the line number is the id.
      { kind: "record", record: { id: "", line: 3, prompt: "Hi", vars: { id: "", prompt: "Hi", lang: "de" } } },
    ]);
  });

  it("has no prompt when the file has no prompt column (a template builds it)", async () => {
    const [rec] = records(await read("text\nsome text\n"));
    expect(rec).toEqual({ id: "", line: 2, vars: { text: "some text" } });
  });

  it("reads quoted commas, quotes and newlines, reporting the line each row starts on", async () => {
    const csv = 'id,prompt\na,"one, two"\nb,"multi\nline\nprompt"\n\nc,"say ""hi"""\nd,"x\n\ny"\ne,last';
    for (const chunk of [1, 3, 7, 1024]) {
      const recs = records(await read(csv, chunk));
      expect(recs.map((r) => [r.id, r.line, r.prompt])).toEqual([
        ["a", 2, "one, two"],
        ["b", 3, "multi\nline\nprompt"],
        ["c", 7, 'say "hi"'],
        ["d", 8, "x\n\ny"],
        ["e", 11, "last"],
      ]);
    }
  });

  it("counts lines right in a CRLF file with multi-line cells", async () => {
    const csv = 'id,prompt\r\na,"multi\r\nline"\r\n\r\nb,plain\r\nc,"x"\r\n';
    for (const chunk of [1, 2, 1024]) {
      const recs = records(await read(csv, chunk));
      expect(recs.map((r) => [r.id, r.line, r.prompt])).toEqual([
        ["a", 2, "multi\nline"],
        ["b", 5, "plain"],
        ["c", 6, "x"],
      ]);
    }
  });

  it("reads TSV, keeping stray quotes as text", async () => {
    const path = tmp.file("rows.tsv", 'id\tprompt\nt1\tTranslate: "bonjour" please\nt2\t"quoted\ttab"\n');
    const input = openInput(path);
    expect(input.format).toBe("tsv");
    const recs = records(await collect(input.items));
    expect(recs.map((r) => [r.id, r.prompt])).toEqual([
      ["t1", 'Translate: "bonjour" please'],
      ["t2", "quoted\ttab"],
    ]);
  });

  it("makes a row with the wrong column count invalid and goes on", async () => {
    const items = await read('id,prompt\na,ok\nb,"two\nlines",extra\nc,fine\n');
    expect(items.map((i) => i.kind)).toEqual(["record", "invalid", "record"]);
    expect(invalids(items)).toEqual([{ id: "b", line: 3, message: "Invalid Record Length: columns length is 2, got 3 on line 4" }]);
    expect(records(items).map((r) => [r.id, r.line])).toEqual([
      ["a", 2],
      ["c", 5],
    ]);
  });

  it("makes a row with a stray quote invalid once and goes on", async () => {
    const items = await read('id,prompt\na,say "hi" now\nb,ok\n');
    expect(invalids(items)).toEqual([{ id: "", line: 2, message: expect.stringContaining("Invalid Opening Quote") }]);
    expect(records(items).map((r) => [r.id, r.line])).toEqual([["b", 3]]);
  });

  it("stops at an unclosed quote, saying the rest of the file could not be read", async () => {
    const items = await read('id,prompt\na,ok\nb,"never closed\nc,x\nd,y\n');
    expect(records(items).map((r) => r.id)).toEqual(["a"]);
    const [bad] = invalids(items);
    expect(bad).toMatchObject({ id: "", line: 3 });
    expect(bad!.message).toMatch(/^Quote Not Closed: .*; the rest of the file from line 3 on could not be read/);
  });

  it("stops at a broken closing quote, after the rows before it", async () => {
    const items = await read('id,prompt\na,ok\nb,"bad"x\nc,"z"\nd,y\n');
    expect(items.map((i) => i.kind)).toEqual(["record", "invalid"]);
    expect(invalids(items)[0]).toMatchObject({ line: 3, message: expect.stringMatching(/^Invalid Closing Quote: .*could not be read/) });
  });

  it("yields nothing for an empty file or a header alone, and skips a BOM", async () => {
    expect(await collect(openInput(tmp.file("empty.csv", "")).items)).toEqual([]);
    expect(await read("id,prompt\n")).toEqual([]);
    const recs = records(await read("\ufeffid,prompt\nx,y\n"));
    expect(recs).toEqual([{ id: "x", line: 2, prompt: "y", vars: { id: "x", prompt: "y" } }]);
  });

  it("rejects a header that names a column twice", async () => {
    const input = openInput(tmp.file("dup.csv", "id,prompt,prompt\n1,a,b\n"));
    await expect(collect(input.items)).rejects.toThrow(UsageError);
    await expect(collect(openInput(tmp.file("dup2.csv", "a,a\n1,2\n")).items)).rejects.toThrow(/dup2\.csv: the header row names column "a" twice/);
  });

  it("rejects a header it cannot parse instead of dropping the first row", async () => {
    for (const header of ['id,pro"mpt', 'id,"prompt"x', 'id,"prompt']) {
      const input = openInput(tmp.file("bad-header.csv", `${header}\na,b\nc,d\n`));
      await expect(collect(input.items)).rejects.toThrow(/bad-header\.csv:1: the header row cannot be read: /);
    }
  });
});
