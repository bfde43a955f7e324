import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { csvField } from "../../src/io/csv-writer.js";
import { createResultWriter } from "../../src/io/result-writer.js";
import { chunked, collect, records, result, tempDir } from "./helpers.js";

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
    await writer.write(result({ id: "43", ok: false, output: undefined, finish_reason: undefined, cost_usd: null, error: { type: "rate_limit", message: "429, slow down", retriable: true } }));
    await writer.close();
    const text = readFileSync(path, "utf8");
    expect(text).toBe(
      `${HEADER}\r\n` +
        `42,true,"Hello, ""world""\nbye",stop,,,120,48,0,0.0000468,1,812\r\n` +
        `43,false,,,rate_limit,"429, slow down",120,48,0,,1,812\r\n`,
    );
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
