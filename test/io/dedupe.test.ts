import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { dedupeIds } from "../../src/io/dedupe.js";
import { IdMap } from "../../src/io/id-map.js";
import { readCsv } from "../../src/io/csv-reader.js";
import { readJsonl } from "../../src/io/jsonl-reader.js";
import type { ReadItem } from "../../src/types.js";
import { chunked, collect, invalids, records } from "./helpers.js";

const dedupe = (jsonl: string) => collect(dedupeIds(readJsonl(chunked(jsonl, 1024))));
const ids = (items: ReadItem[]) => items.map((i) => (i.kind === "record" ? i.record.id : i.invalid.id));
/** The documented content id: `c:` + 16 hex digits of the SHA-256 of the canonical JSON. */
const contentId = (canonical: string) => `c:${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;

describe("dedupeIds: explicit ids", () => {
  it("makes a repeated id invalid under a distinct id, naming both lines", async () => {
    const items = await dedupe('{"id":"x","prompt":"a"}\n{"id":"y","prompt":"b"}\n\n{"id":"x","prompt":"c"}\n');
    expect(records(items).map((r) => r.id)).toEqual(["x", "y"]);
    expect(invalids(items)).toEqual([{ id: "x#line-4", line: 4, message: 'duplicate id "x" on line 4 (first seen on line 1)' }]);
    expect(items.map((i) => i.kind)).toEqual(["record", "record", "invalid"]);
  });

  it("gives an invalid line whose id is taken a distinct id too, and keeps a free one", async () => {
    const items = await dedupe('{"id":"a","prompt":"ok"}\n{"id":"a","prompt":5}\n{"id":"b","prompt":5}\n{"prompt": oops}\n');
    expect(invalids(items)).toEqual([
      { id: "a#line-2", line: 2, message: 'prompt must be a string, got 5; its id "a" is already line 1\'s, so this line comes out as "a#line-2"' },
      { id: "b", line: 3, message: "prompt must be a string, got 5" },
      { id: "#line-4", line: 4, message: expect.stringMatching(/^invalid JSON/) },
    ]);
    // The first line with an id owns it, even when it is the invalid one.
    const later = await dedupe('{"id":"a","prompt":5}\n{"id":"a","prompt":"ok"}\n');
    expect(invalids(later).map((i) => [i.id, i.message])).toEqual([
      ["a", "prompt must be a string, got 5"],
      ["a#line-2", 'duplicate id "a" on line 2 (first seen on line 1)'],
    ]);
  });

  it("keeps every output id unique, even against ids spelled like the ones it makes", async () => {
    const items = await dedupe('{"id":"x","prompt":"a"}\n{"id":"x#line-3","prompt":"b"}\n{"id":"x","prompt":"c"}\n{"id":"x#line-3","prompt":"d"}\n');
    expect(ids(items)).toEqual(["x", "x#line-3", "x#line-3#2", "x#line-3#line-4"]);
  });

  it("works on any item stream", async () => {
    async function* items(): AsyncGenerator<ReadItem> {
      yield { kind: "record", record: { id: "k", line: 2, vars: {} } };
      yield { kind: "record", record: { id: "k", line: 3, vars: {} } };
    }
    expect(invalids(await collect(dedupeIds(items())))).toEqual([{ id: "k#line-3", line: 3, message: 'duplicate id "k" on line 3 (first seen on line 2)' }]);
  });
});

describe("dedupeIds: records without an id get their content id", () => {
  it("hashes the canonical JSON of the whole record: keys sorted at every level, null ids included", async () => {
    const items = await dedupe('{"prompt":"a","meta":{"z":1,"b":[true,null]}}\n{"id":null,"prompt":"a"}\n{"id":"","prompt":"a"}\n');
    expect(ids(items)).toEqual([contentId('{"meta":{"b":[true,null],"z":1},"prompt":"a"}'), contentId('{"id":null,"prompt":"a"}'), contentId('{"id":"","prompt":"a"}')]);
    // Key order and spacing in the line do not change it.
    expect(ids(await dedupe('{ "meta": {"b": [true, null], "z": 1}, "prompt": "a" }\n'))).toEqual([ids(items)[0]]);
  });

  it("numbers identical records in file order", async () => {
    const items = await dedupe('{"prompt":"same"}\n{"prompt":"other"}\n{"prompt":"same"}\n{"prompt":"same"}\n');
    const same = contentId('{"prompt":"same"}');
    expect(ids(items)).toEqual([same, contentId('{"prompt":"other"}'), `${same}#2`, `${same}#3`]);
  });

  it("hashes a CSV row as its header → cell object", async () => {
    const items = await collect(dedupeIds(readCsv(chunked("text,lang\nhola,es\n", 4))));
    expect(ids(items)).toEqual([contentId('{"lang":"es","text":"hola"}')]);
  });

  it('never collides with a user\'s id: line 2 without an id is not a duplicate of id "2"', async () => {
    const items = await dedupe('{"id":"2","prompt":"a"}\n{"prompt":"b"}\n{"id":"1","prompt":"c"}\n');
    expect(items.map((i) => i.kind)).toEqual(["record", "record", "record"]);
    expect(ids(items)).toEqual(["2", contentId('{"prompt":"b"}'), "1"]);
  });

  it("steps over a content id that a user's id took first, and refuses a user's id equal to an earlier content id", async () => {
    const taken = contentId('{"prompt":"b"}');
    const first = await dedupe(`{"id":"${taken}","prompt":"pinned"}\n{"prompt":"b"}\n{"prompt":"b"}\n`);
    expect(ids(first)).toEqual([taken, `${taken}#2`, `${taken}#3`]);
    expect(first.every((i) => i.kind === "record")).toBe(true);

    // The other way round the earlier line already came out under the id: the later one is the duplicate.
    const later = await dedupe(`{"prompt":"b"}\n{"id":"${taken}","prompt":"pinned"}\n{"id":"${taken}#2","prompt":"free"}\n`);
    expect(ids(later)).toEqual([taken, `${taken}#line-2`, `${taken}#2`]);
    expect(invalids(later)[0]!.message).toBe(`duplicate id "${taken}" on line 2 (the content id of an earlier record without an id)`);
  });

  it("counts occurrences past 255 exactly (the table's one-byte count overflows to a map)", async () => {
    const items = await dedupe('{"prompt":"x"}\n'.repeat(300));
    const x = contentId('{"prompt":"x"}');
    expect(new Set(ids(items)).size).toBe(300);
    expect(ids(items).slice(253, 258)).toEqual([`${x}#254`, `${x}#255`, `${x}#256`, `${x}#257`, `${x}#258`]);
  });
});

describe("IdMap: compact and exact", () => {
  it("tells apart ids that differ only in leading zeros, prefix or size", () => {
    const map = new IdMap(0xffffffff);
    const all = ["req-1", "req-01", "req1", "req-10", "Req-1", "req-", "req-2147483648", "x-0", "x-00", "a7b", "a7b0", "c:00000000000000ff", "c:00000000000000FF", "c:00000000000000ff#2"];
    all.forEach((id) => expect(map.get(id)).toBeUndefined());
    all.forEach((id, i) => map.set(id, 100 + i));
    all.forEach((id, i) => expect(map.get(id)).toBe(100 + i));
  });

  it("stays exact over many counter ids, gaps and far-off numbers included, and values can change", () => {
    const map = new IdMap(255);
    for (let n = 1; n <= 200_000; n++) map.set(`req-${n * 2}`, 1);
    expect(map.get("req-3")).toBeUndefined(); // odd numbers were never set
    expect(map.get("req-400000")).toBe(1);
    map.set("req-400000", 2);
    expect(map.get("req-400000")).toBe(2);
    map.set("req-999999999", 1); // too far ahead: a Map key
    map.set("req-999999999", 2);
    expect(map.get("req-999999999")).toBe(2);
  });
});
