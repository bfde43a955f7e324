import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { csvField, csvLine } from "../../src/io/csv-writer.js";
import { unguardFormula } from "../../src/io/formula-guard.js";
import { createResultWriter, outputFormatFor } from "../../src/io/result-writer.js";
import { chunked, collect, failed, records, result, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const HEADER = "id,ok,output,finish_reason,error_type,error_message,input_tokens,output_tokens,cached_tokens,cost_usd,attempts,latency_ms";

describe("CSV result writer", () => {
  it("quotes per RFC 4180", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField("a,b")).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField("cr\r")).toBe('"cr\r"');
    expect(csvField(undefined)).toBe("");
    expect(csvField(null)).toBe("");
    expect(csvField(false)).toBe("false");
    expect(csvField({ name: "x", tags: ["a", "b"] })).toBe('"{""name"":""x"",""tags"":[""a"",""b""]}"');
  });

  it("writes structured output with a lone surrogate as U+FFFD, not as a \\ud800 escape", () => {
    expect(csvField({ label: "a\ud800" })).toBe('"{""label"":""a\ufffd""}"');
  });

  it("writes the header and one row per result, chosen by the .csv extension", async () => {
    const path = join(tmp.dir, "out.csv");
    const writer = await createResultWriter({ path });
    await writer.write(result({ output: 'Hello, "world"\nbye' }));
    await writer.write(failed({ type: "rate_limit", message: "429, slow down", retriable: true }, { id: "43", finish_reason: undefined, cost_usd: null }));
    await writer.close();
    const text = readFileSync(path, "utf8");
    expect(text).toBe(`${HEADER}\r\n42,true,"Hello, ""world""\nbye",stop,,,120,48,0,0.0000468,1,812\r\n43,false,,,rate_limit,"429, slow down",120,48,0,,1,812\r\n`);
    // Our own reader reads it back.
    const back = records(await collect(readCsv(chunked(text, 7))));
    expect(back.map((r) => [r.id, r.line, r.vars.output])).toEqual([
      ["42", 2, 'Hello, "world"\nbye'],
      ["43", 4, ""],
    ]);
  });

  it("adds input columns from the first record's input with includeInput", async () => {
    const path = join(tmp.dir, "input.csv");
    const writer = await createResultWriter({ path, includeInput: true });
    await writer.write(result({ id: "1", input: { id: "1", text: "a,b" } }));
    await writer.write(result({ id: "2", input: { id: "2", extra: "dropped" } }));
    await writer.close();
    const [header, first, second] = readFileSync(path, "utf8").split("\r\n");
    // `id` is also a result column, so the input's id gets a prefix; `text` does not need one.
    expect(header).toBe(`${HEADER},input.id,text`);
    expect(first!.endsWith(',1,"a,b"')).toBe(true);
    expect(second!.endsWith(",2,")).toBe(true);
  });

  it("writes no second header when appending to a non-empty file", async () => {
    const path = join(tmp.dir, "append.csv");
    for (const id of ["a", "b"]) {
      const w = await createResultWriter({ path, append: true });
      await w.write(result({ id }));
      await w.close();
    }
    const lines = readFileSync(path, "utf8").split("\r\n");
    expect(lines.filter((l) => l === HEADER)).toHaveLength(1);
    expect(lines.map((l) => l.split(",")[0])).toEqual(["id", "a", "b", ""]);
  });

  it("writes CSV to stdout when asked", async () => {
    const { PassThrough } = await import("node:stream");
    const out = new PassThrough();
    let text = "";
    out.on("data", (c) => (text += String(c)));
    const writer = await createResultWriter({ stdout: out, format: "csv" });
    await writer.write(result());
    await writer.close();
    expect(text.startsWith(`${HEADER}\r\n42,true,Bonjour,`)).toBe(true);
  });
});

describe("TSV result writer", () => {
  const TSV = { delimiter: "\t", guard: false } as const;

  it("quotes a cell holding a tab, a quote or a line break, as Excel and Python's csv do; commas need nothing", () => {
    expect(csvField("a,b", TSV)).toBe("a,b");
    expect(csvField("a\tb", TSV)).toBe('"a\tb"');
    expect(csvField('"hi" she said', TSV)).toBe('"""hi"" she said"');
    expect(csvField("two\nlines", TSV)).toBe('"two\nlines"');
    expect(csvField("cr\r", TSV)).toBe('"cr\r"');
  });

  it("writes the CSV's columns with tabs for a .tsv path, and llmbatch's TSV reader reads them back", async () => {
    expect(outputFormatFor("out.TSV")).toBe("tsv");
    const path = join(tmp.dir, "out.tsv");
    const writer = await createResultWriter({ path });
    await writer.write(result({ output: 'Tab\there, "quoted"\nand, commas' }));
    await writer.close();
    const text = readFileSync(path, "utf8");
    expect(text).toBe(`${HEADER.replaceAll(",", "\t")}\r\n42\ttrue\t"Tab\there, ""quoted""\nand, commas"\tstop\t\t\t120\t48\t0\t0.0000468\t1\t812\r\n`);
    const back = records(await collect(readCsv(chunked(text, 5), { delimiter: "\t" })));
    expect(back.map((r) => [r.id, r.vars.output, r.vars.latency_ms])).toEqual([["42", 'Tab\there, "quoted"\nand, commas', "812"]]);
  });

  it("any text cell reads back through llmbatch's TSV reader as written, guarded or not", async () => {
    const unit = fc.constantFrom("a", " ", "\t", "\n", "\r", '"', "'", "=", "-", "+", "@", "1", "é", "🎉");
    await fc.assert(
      fc.asyncProperty(fc.array(fc.string({ unit, maxLength: 6 }), { minLength: 1, maxLength: 4 }), fc.boolean(), async (cells, guard) => {
        const format = { delimiter: "\t", guard } as const;
        const header = cells.map((_, i) => `c${i}`);
        const text = csvLine(header, format) + csvLine(cells, format);
        const back = records(await collect(readCsv(chunked(text, 3), { delimiter: "\t" })));
        // A row of only empty cells is a blank line, which readers skip.
        if (cells.every((c) => c === "")) return;
        expect(back).toHaveLength(1);
        // The reader reads CRLF inside a cell as LF, as it does for line ends.
        const expected = cells.map((c) => c.replaceAll("\r\n", "\n"));
        const cell = (h: string) => String(back[0]!.vars[h]);
        expect(header.map((h) => (guard ? unguardFormula(cell(h)) : cell(h)))).toEqual(expected);
      }),
      { seed: 11_07, numRuns: 300 },
    );
  });
});

describe("CSV and TSV for spreadsheets", () => {
  it("guards text cells that would run as formulas, by default; numbers llmbatch writes and plain-number input cells are left alone", async () => {
    for (const name of ["guard.csv", "guard.tsv"]) {
      const path = join(tmp.dir, name);
      const writer = await createResultWriter({ path, includeInput: true });
      await writer.write(result({ id: "@r1", output: '=HYPERLINK("https://evil.example","x")', input: { note: "+1 agreed", balance: "-42.50", delta: -3 } }));
      await writer.close();
      const [, row] = parse(readFileSync(path, "utf8"), { delimiter: name.endsWith(".tsv") ? "\t" : "," }) as string[][];
      expect(row![0]).toBe("'@r1");
      expect(row![2]).toBe(`'=HYPERLINK("https://evil.example","x")`);
      expect(row!.slice(-3)).toEqual(["'+1 agreed", "-42.50", "-3"]);
    }
  });

  it("writes text as it is with csvGuard false", async () => {
    const path = join(tmp.dir, "unguarded.csv");
    const writer = await createResultWriter({ path, csvGuard: false });
    await writer.write(result({ id: "@r1", output: "=1+1" }));
    await writer.close();
    expect(readFileSync(path, "utf8").split("\r\n")[1]!.startsWith("@r1,true,=1+1,")).toBe(true);
  });

  it("starts a new file with a UTF-8 BOM with bom, once, and refuses it for JSON Lines", async () => {
    const path = join(tmp.dir, "bom.csv");
    for (let i = 0; i < 2; i++) {
      const writer = await createResultWriter({ path, bom: true, append: true });
      await writer.write(result({ id: `r${i}`, output: "café 🎉" }));
      await writer.close();
    }
    const bytes = readFileSync(path);
    expect([...bytes.subarray(0, 3)]).toEqual([0xef, 0xbb, 0xbf]);
    expect(bytes.indexOf(Buffer.from([0xef, 0xbb, 0xbf]), 1)).toBe(-1);
    expect(bytes.toString("utf8").slice(1).startsWith(`${HEADER}\r\n`)).toBe(true);
    await expect(createResultWriter({ path: join(tmp.dir, "bom.jsonl"), bom: true })).rejects.toThrow(/--bom is for CSV and TSV output/);
  });
});

describe("the format a results path implies", () => {
  it.each([
    ["out.jsonl", "jsonl"],
    ["out.NDJSON", "jsonl"],
    ["out.json", "jsonl"],
    ["out.csv", "csv"],
    ["out.tsv", "tsv"],
    ["results", "jsonl"],
    ["/dev/null", "jsonl"],
    [".hidden", "jsonl"],
  ])("%s → %s", (path, format) => {
    expect(outputFormatFor(path)).toBe(format);
  });

  it.each(["out.xlsx", "out.txt", "out.parquet", "out.csv.gz"])("refuses %s, listing the formats it can write", (path) => {
    expect(() => outputFormatFor(path)).toThrow(/cannot write \.\w+ files; it writes JSON Lines \(\.jsonl, \.ndjson, \.json\), CSV \(\.csv\) and TSV \(\.tsv\)/);
  });

  it("takes an explicit format over the extension, and refuses an unknown one", () => {
    expect(outputFormatFor("out.txt", "tsv")).toBe("tsv");
    expect(outputFormatFor(undefined, "csv")).toBe("csv");
    expect(() => outputFormatFor("out.csv", "xlsx")).toThrow('--output-format must be one of jsonl, csv, tsv, got "xlsx"');
  });
});
