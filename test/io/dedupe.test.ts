import { describe, expect, it } from "vitest";
import { dedupeIds, IdRegistry } from "../../src/io/dedupe.js";
import { readJsonl } from "../../src/io/jsonl-reader.js";
import type { ReadItem } from "../../src/types.js";
import { chunked, collect, invalids, records } from "./helpers.js";

const dedupe = (jsonl: string) => collect(dedupeIds(readJsonl(chunked(jsonl, 1024))));

describe("dedupeIds", () => {
  it("makes a repeated id invalid, naming both lines", async () => {
    const items = await dedupe('{"id":"x","prompt":"a"}\n{"id":"y","prompt":"b"}\n\n{"id":"x","prompt":"c"}\n');
    expect(records(items).map((r) => r.id)).toEqual(["x", "y"]);
    expect(invalids(items)).toEqual([{ id: "x", line: 4, message: 'duplicate id "x" on line 4 (first seen on line 1)' }]);
    expect(items.map((i) => i.kind)).toEqual(["record", "record", "invalid"]);
  });

  it("never flags default line-number ids against each other", async () => {
    const items = await dedupe('{"prompt":"a"}\n{"prompt":"b"}\n{"prompt":"c"}\n');
    expect(records(items).map((r) => r.id)).toEqual(["1", "2", "3"]);
  });

  it("catches an explicit id that equals another record's line number, either way round", async () => {
    const items = await dedupe('{"prompt":"a"}\n{"id":"1","prompt":"b"}\n{"id":4,"prompt":"c"}\n{"prompt":"d"}\n');
    expect(invalids(items)).toEqual([
      { id: "1", line: 2, message: 'duplicate id "1" on line 2 (first seen on line 1)' },
      { id: "4", line: 4, message: 'duplicate id "4" on line 4 (first seen on line 3)' },
    ]);
    // "01" is not the line number 1.
    expect(records(await dedupe('{"prompt":"a"}\n{"id":"01","prompt":"b"}\n')).map((r) => r.id)).toEqual(["1", "01"]);
  });

  it("counts the ids of invalid items as used and passes them through", async () => {
    const items = await dedupe('{"id":"a","prompt":5}\n{"id":"a","prompt":"ok"}\n');
    expect(invalids(items).map((i) => [i.line, i.message])).toEqual([
      [1, "prompt must be a string, got 5"],
      [2, 'duplicate id "a" on line 2 (first seen on line 1)'],
    ]);
  });

  it("keeps line-number ids in a bitset that grows", () => {
    const reg = new IdRegistry();
    let flagged = 0;
    for (let line = 1; line <= 100_000; line++) if (reg.firstLine(String(line), line) !== undefined) flagged++;
    expect(flagged).toBe(0);
    expect(reg.firstLine("99999", 100_001)).toBe(99_999);
    expect(reg.firstLine("100002", 100_002)).toBeUndefined();
  });

  it("works on any item stream", async () => {
    async function* items(): AsyncGenerator<ReadItem> {
      yield { kind: "record", record: { id: "k", line: 2, vars: {} } };
      yield { kind: "record", record: { id: "k", line: 3, vars: {} } };
    }
    expect(invalids(await collect(dedupeIds(items())))).toEqual([{ id: "k", line: 3, message: 'duplicate id "k" on line 3 (first seen on line 2)' }]);
  });
});

describe("IdLineMap (numbered ids stored densely)", () => {
  it("tells apart ids that differ only in leading zeros, prefix or size, and names the first line", () => {
    const reg = new IdRegistry();
    const ids = ["req-1", "req-01", "req1", "req-10", "Req-1", "req-", "req-2147483648", "x-0", "x-00", "a7b", "a7b0"];
    ids.forEach((id, i) => expect(reg.firstLine(id, 100 + i)).toBeUndefined());
    ids.forEach((id, i) => expect(reg.firstLine(id, 200 + i)).toBe(100 + i));
  });

  it("stays exact over many counter ids, gaps and far-off numbers included", () => {
    const reg = new IdRegistry();
    let flagged = 0;
    for (let n = 1; n <= 200_000; n++) if (reg.firstLine(`req-${n * 2}`, n) !== undefined) flagged++;
    expect(flagged).toBe(0);
    expect(reg.firstLine("req-3", 2_000_000)).toBeUndefined(); // odd numbers were never used
    expect(reg.firstLine("req-400000", 2_000_001)).toBe(200_000);
    expect(reg.firstLine("req-999999999", 2_000_002)).toBeUndefined(); // too far ahead: a Map key
    expect(reg.firstLine("req-999999999", 2_000_003)).toBe(2_000_002);
  });
});
