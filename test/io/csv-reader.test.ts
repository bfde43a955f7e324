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
      // Empty id cell: no id of its own, so the record's content id (the header → cell object).
      { kind: "record", record: { id: expect.stringMatching(/^c:[0-9a-f]{16}$/), line: 3, prompt: "Hi", vars: { id: "", prompt: "Hi", lang: "de" } } },
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
    // One line number, where the row starts (csv-parse's own message says "on line 4").
    expect(invalids(items)).toEqual([{ id: "b", line: 3, message: "the row has 3 cells, but the header has 2 columns (a cell holding a comma must be quoted)" }]);
    expect(records(items).map((r) => [r.id, r.line])).toEqual([
      ["a", 2],
      ["c", 5],
    ]);
  });

  it("makes a row with a stray quote invalid once, under its id, and goes on", async () => {
    const items = await read('id,prompt\na,say "hi" now\nb,ok\n');
    expect(invalids(items)).toEqual([{ id: "a", line: 2, message: expect.stringContaining('a quote inside an unquoted cell in column "prompt"') }]);
    expect(records(items).map((r) => [r.id, r.line])).toEqual([["b", 3]]);
  });

  it("stops at an unclosed quote, saying which lines could not be read", async () => {
    const told: string[] = [];
    const csv = 'id,prompt\na,ok\nb,"never closed\nc,x\nd,y\n';
    for (const chunk of [1, 4, 1024]) {
      told.length = 0;
      const items = await collect(readCsv(chunked(csv, chunk), { name: "in.csv", onIncomplete: (m) => told.push(m) }));
      expect(records(items).map((r) => r.id)).toEqual(["a"]);
      const [bad] = invalids(items);
      expect(bad).toMatchObject({ id: "b", line: 3 });
      expect(bad!.message).toBe('the quote opening a cell in column "prompt" is never closed, so the rest of the input, lines 3–5, could not be read as rows (fix the quote and run again)');
      expect(told).toEqual([`in.csv:3: ${bad!.message}`]);
    }
  });

  it("says the input was cut short even when the row with the unclosed quote had another error first", async () => {
    const told: string[] = [];
    const items = await collect(readCsv(chunked('id,prompt\na,x"y,"open\nb,c\n', 3), { onIncomplete: (m) => told.push(m) }));
    expect(invalids(items)).toEqual([{ id: "a", line: 2, message: expect.stringContaining("a quote inside an unquoted cell") }]);
    expect(told).toEqual([expect.stringContaining("<csv>:2: the quote opening a cell is never closed, so the rest of the input, lines 2–3, could not be read")]);
  });

  it("stops at a quoted cell that runs past the cell limit instead of holding the rest of the input", async () => {
    const told: string[] = [];
    const csv = `id,prompt\na,ok\nb,"${"x".repeat(500)}\n${"more\n".repeat(200)}`;
    const items = await collect(readCsv(chunked(csv, 64), { maxCellBytes: 100, onIncomplete: (m) => told.push(m) }));
    expect(records(items).map((r) => r.id)).toEqual(["a"]);
    expect(invalids(items)).toEqual([
      { id: "b", line: 3, message: expect.stringContaining("runs past 100 bytes without its closing quote, so the rest of the input, lines 3–203, could not be read") },
    ]);
    expect(told).toHaveLength(1);
  });

  it("skips a row with a broken closing quote up to its line end and reads on from the next line", async () => {
    const csv = 'id,prompt\na,ok\nb,"bad"x\nc,"z"\nd,"multi\nline"x "more" text""\ne,y\n';
    for (const chunk of [1, 2, 3, 1024]) {
      const items = await read(csv, chunk);
      expect(items.map((i) => i.kind)).toEqual(["record", "invalid", "record", "invalid", "record"]);
      expect(records(items).map((r) => [r.id, r.line, r.prompt])).toEqual([
        ["a", 2, "ok"],
        ["c", 4, "z"],
        ["e", 7, "y"],
      ]);
      expect(invalids(items).map((i) => i.line)).toEqual([3, 5]);
      expect(invalids(items)[0]!.message).toMatch(/^a quoted cell in column "prompt" is closed by a quote followed by more text/);
    }
  });

  it("reads a broken closing quote on the last line, with no line end after it, as one bad row: the input was read to its end", async () => {
    for (const chunk of [1, 3, 1024]) {
      const told: string[] = [];
      const items = await collect(readCsv(chunked('id,prompt\na,ok\nb,"bad"x', chunk), { onIncomplete: (m) => told.push(m) }));
      expect(items.map((i) => (i.kind === "record" ? i.record.id : i.invalid.line))).toEqual(["a", 3]);
      expect(invalids(items)[0]!.message).toMatch(/is closed by a quote followed by more text/);
      expect(told).toEqual([]);
    }
  });

  it("reads a bad row's id from its text when it is plain, wherever the id column is; else the row has none", async () => {
    const csv = 'lang,id,prompt\nfr,1,say "hi" there\nde,"2","bad"x\nes,3,"never closed\nit,4,fine\n';
    for (const chunk of [1, 5, 1024])
      expect(invalids(await read(csv, chunk)).map((i) => [i.line, i.id])).toEqual([
        [2, "1"],
        [3, "2"],
        [4, "3"],
      ]);
    // A quote before the id, an id with a quote in it, an id the error cut short: not certain, so none.
    const unsure = 'id,prompt\na"b,x\n"c,d",y"z\n';
    expect(invalids(await read(unsure)).map((i) => i.id)).toEqual(["", ""]);
    expect(invalids(await read('prompt,id\nsay "hi",7\nx,"8\n')).map((i) => i.id)).toEqual(["", ""]);
  });

  it("refuses a __proto__ column, whose cells would vanish into the prototype of every row", async () => {
    await expect(read("id,__proto__,prompt\n1,x,y\n")).rejects.toThrow('<csv>: the header row names a column "__proto__", which cannot be read as a field');
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
  it("ends a row at a lone CR as at LF, CRLF staying one line end; a quoted CR stays in its cell", async () => {
    const csv = 'id,prompt\ra,one\r\nb,"multi\rline"\rc,three\n\rd,four\r';
    for (const chunk of [1, 2, 5, 1024]) {
      const recs = records(await read(csv, chunk));
      expect(recs.map((r) => [r.id, r.line, r.prompt])).toEqual([
        ["a", 2, "one"],
        ["b", 3, "multi\rline"],
        ["c", 5, "three"],
        ["d", 7, "four"],
      ]);
    }
  });

  it("reads a row of only U+00A0 as a row, and a quoted first header cell after a BOM", async () => {
    expect(records(await read("text\n\u00a0\nlast\n")).map((r) => [r.line, r.vars.text])).toEqual([
      [2, "\u00a0"],
      [3, "last"],
    ]);
    for (const chunk of [1, 2, 1024]) {
      const items = await read('\ufeff"id",prompt\n"x","a ""quoted"" word"\n', chunk);
      expect(records(items).map((r) => [r.id, r.prompt])).toEqual([["x", 'a "quoted" word']]);
    }
  });

  it("keeps a TSV quote that does not close its cell as text, on every row", async () => {
    const items = await read('id\tprompt\na\t"Hello" she said\nb\tnext\n', 1024, "\t");
    expect(records(items).map((r) => [r.id, r.prompt])).toEqual([
      ["a", '"Hello" she said'],
      ["b", "next"],
    ]);
  });
});
