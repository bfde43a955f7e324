import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { UsageError } from "../../src/errors.js";
import { chunked, collect, invalids, records } from "./helpers.js";

const latin1E = Buffer.from([0xe9]); // "é" in Latin-1: not UTF-8 on its own

describe("CSV reader: bytes that are not UTF-8", () => {
  it("turns a row with a Latin-1 byte into an invalid item with its line; the other rows are read intact", async () => {
    const csv = Buffer.concat([
      Buffer.from('id,prompt\r\na,hello\r\nb,caf'),
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
