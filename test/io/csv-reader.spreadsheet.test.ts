import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { UsageError } from "../../src/errors.js";
import { chunked, collect, invalids, records } from "./helpers.js";

const read = (content: string, opts: { chunk?: number; delimiter?: string; onHeader?: (c: readonly string[]) => void } = {}) =>
  collect(readCsv(chunked(content, opts.chunk ?? 64 * 1024), { delimiter: opts.delimiter, onHeader: opts.onHeader }));

describe("CSV reader: spreadsheet exports", () => {
  it("ignores unnamed trailing columns whose cells are empty, and refuses a row with text in one", async () => {
    const csv = 'id;text;class;;\r\n1;fine;a;;\r\n2;short\r\n3;noted;b;;see me\r\n4;"quoted; semi";c;;\r\n5;too;many;;;\r\n';
    for (const chunk of [1, 4, 1024]) {
      const items = await read(csv, { chunk, delimiter: ";" });
      expect(records(items).map((r) => r.vars)).toEqual([
        { id: "1", text: "fine", class: "a" },
        { id: "2", text: "short", class: "" },
        { id: "4", text: "quoted; semi", class: "c" },
      ]);
      expect(invalids(items)).toEqual([
        { id: "3", line: 4, message: expect.stringMatching(/^cell 5 holds "see me", but column 5 has no name in the header row/) },
        { id: "5", line: 6, message: "the row has 6 cells, but the header has 5 columns (a cell holding a semicolon must be quoted)" },
      ]);
    }
  });

  it("fills the missing cells of a short row with empty text, as pandas does", async () => {
    const items = await read("a,b,c\n1\n1,2\n1,2,3\n");
    expect(records(items).map((r) => r.vars)).toEqual([
      { a: "1", b: "", c: "" },
      { a: "1", b: "2", c: "" },
      { a: "1", b: "2", c: "3" },
    ]);
  });

  it("skips a line of spaces in a file of several columns (it is blank, not a row of empty cells); a quoted blank cell is a row", async () => {
    const items = await read('a,b\n1,2\n   \n\t\n3,4\n"  "\n');
    expect(items.map((i) => (i.kind === "record" ? [i.record.line, i.record.vars.a] : i.kind))).toEqual([
      [2, "1"],
      [5, "3"],
      [6, "  "],
    ]);
  });

  it('names an empty header cell before the last named one "Unnamed: <i>", as pandas does', async () => {
    const [rec] = records(await read(",Clothing ID,,Review Text\n0,767,x,Great\n"));
    expect(rec!.vars).toEqual({ "Unnamed: 0": "0", "Clothing ID": "767", "Unnamed: 2": "x", "Review Text": "Great" });
  });

  it("refuses a header of empty cells, and a generated name that clashes with a column", async () => {
    await expect(collect(readCsv(chunked(",,\n1,2,3\n", 8), { name: "in.csv" }))).rejects.toThrow("in.csv: the header row names no columns (every cell of it is empty)");
    await expect(collect(readCsv(chunked("Unnamed: 1,,b\n1,2,3\n", 8), { name: "in.csv" }))).rejects.toThrow('in.csv: the header row names column "Unnamed: 1" twice');
  });

  it("tells onHeader the columns before any row, and a throw from it ends the read", async () => {
    const seen: (readonly string[])[] = [];
    const items = await read("x,,y,,\n1,2,3,,\n", { onHeader: (c) => seen.push(c) });
    expect(seen).toEqual([["x", "Unnamed: 1", "y"]]);
    expect(records(items)).toHaveLength(1);
    const refusing = readCsv(chunked("x,y\n1,2\n", 3), {
      onHeader: () => {
        throw new UsageError("no such column");
      },
    });
    const got: unknown[] = [];
    await expect(
      (async () => {
        for await (const item of refusing) got.push(item);
      })(),
    ).rejects.toThrow("no such column");
    expect(got).toEqual([]);
  });

  it('reads "|" and other one-character delimiters with quoting as in CSV', async () => {
    const items = await read('id|note\n1|"a | b"\n2|"say ""hi"""\n', { delimiter: "|", chunk: 2 });
    expect(records(items).map((r) => r.vars.note)).toEqual(["a | b", 'say "hi"']);
  });
});
