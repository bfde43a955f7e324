import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { ROOT } from "../helpers/cli.js";
import { UsageError } from "../../src/errors.js";
import { chunked, collect, invalids, records } from "./helpers.js";

const latin1E = Buffer.from([0xe9]); // "é" in Latin-1: not UTF-8 on its own

describe("CSV reader: bytes that are not UTF-8", () => {
  it("turns a row with a Latin-1 byte into an invalid item with its line; the other rows are read intact", async () => {
    const csv = Buffer.concat([
      Buffer.from("id,prompt\r\na,hello\r\nb,caf"),
      latin1E,
      Buffer.from('\r\nc,"multi\r\nline caf\u00e9 in UTF-8"\r\nd,"quoted\r\n'),
      latin1E,
      Buffer.from(' on its second line"\r\ne,fine\r\n'),
    ]);
    for (const size of [1, 5, 64 * 1024]) {
      const items = await collect(readCsv(chunked(csv, size)));
      expect(records(items).map((r) => [r.id, r.line, r.prompt])).toEqual([
        ["a", 2, "hello"],
        ["c", 4, "multi\nline caf\u00e9 in UTF-8"],
        ["e", 8, "fine"],
      ]);
      expect(invalids(items)).toEqual([
        { id: "b", line: 3, message: expect.stringContaining("not valid UTF-8") },
        { id: "d", line: 6, message: expect.stringContaining("not valid UTF-8") },
      ]);
      expect(records(items).some((r) => String(r.prompt).includes("\ufffd"))).toBe(false);
    }
  });

  it("refuses a header row that is not UTF-8 (no column name could be trusted)", async () => {
    const csv = Buffer.concat([Buffer.from("id,caf"), latin1E, Buffer.from("\na,b\n")]);
    await expect(collect(readCsv(chunked(csv, 3), { name: "in.csv" }))).rejects.toThrow(UsageError);
    await expect(collect(readCsv(chunked(csv, 3), { name: "in.csv" }))).rejects.toThrow(/in\.csv: the header row is not valid UTF-8/);
  });
});

describe("CSV reader: memory for a file whose every row is not UTF-8", () => {
  it("forgets the bad lines of rows already handed on (measured after a full GC, in a child process)", { timeout: 60_000 }, () => {
    // A Windows-1252 export read without --encoding: each of 300,000 rows is an invalid item. What
    // the reader holds is measured at the last item, while it is still reading.
    const script = `
      import { Readable } from "node:stream";
      import { readCsv } from ${JSON.stringify(pathToFileURL(join(ROOT, "dist/io/csv-reader.js")).href)};
      const ROWS = 300000;
      function* chunks() {
        yield Buffer.from("id,text\\n");
        const row = (i) => Buffer.concat([Buffer.from(i + ",caf"), Buffer.from([0xe9]), Buffer.from("\\n")]);
        for (let i = 0; i < ROWS; i += 1000) yield Buffer.concat(Array.from({ length: 1000 }, (_, k) => row(i + k)));
      }
      const used = () => { globalThis.gc(); return process.memoryUsage().heapUsed; };
      let before = 0, bytes = 0, bad = 0;
      for await (const item of readCsv(Readable.from(chunks()))) {
        if (item.kind === "invalid") bad++;
        if (bad === 1000) before = used();
        if (bad === ROWS) bytes = used() - before;
      }
      process.stdout.write(JSON.stringify({ bad, bytes }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8" })) as { bad: number; bytes: number };
    expect(out.bad).toBe(300_000);
    // A set of every bad line takes ~30 bytes per line (9 MB here); the rows ahead of the parser, a few KB.
    expect(out.bytes / 300_000, `${out.bytes} bytes`).toBeLessThan(3);
  });
});
