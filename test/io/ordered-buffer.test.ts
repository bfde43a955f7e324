import { describe, expect, it } from "vitest";
import { OrderedBuffer } from "../../src/io/ordered-buffer.js";

describe("OrderedBuffer", () => {
  it("releases results in input order as the gaps fill", () => {
    const buf = new OrderedBuffer<string>();
    expect(buf.push(2, "c")).toEqual([]);
    expect(buf.push(1, "b")).toEqual([]);
    expect(buf.size).toBe(2);
    expect(buf.push(0, "a")).toEqual(["a", "b", "c"]);
    expect(buf.push(3, "d")).toEqual(["d"]);
    expect(buf.push(5, "f")).toEqual([]);
    expect(buf.nextSeq).toBe(4);
    expect(buf.push(4, "e")).toEqual(["e", "f"]);
    expect(buf.size).toBe(0);
  });

  it("holds only what finished ahead of a slow record", () => {
    const buf = new OrderedBuffer<number>();
    const out: number[] = [];
    // Record 0 is slow; 1..99 finish first, then 0.
    for (let i = 1; i < 100; i++) out.push(...buf.push(i, i));
    expect(buf.size).toBe(99);
    out.push(...buf.push(0, 0));
    expect(out).toEqual([...Array(100).keys()]);
    expect(buf.size).toBe(0);
  });

  it("rejects a position pushed twice or already released", () => {
    const buf = new OrderedBuffer<string>();
    buf.push(0, "a");
    buf.push(2, "c");
    expect(() => buf.push(0, "again")).toThrow(RangeError);
    expect(() => buf.push(2, "again")).toThrow(/already released or pushed/);
  });

  it("flushes what it holds in order when the run stops early", () => {
    const buf = new OrderedBuffer<string>();
    buf.push(4, "e");
    buf.push(2, "c");
    expect(buf.flush()).toEqual(["c", "e"]);
    expect(buf.size).toBe(0);
    expect(buf.nextSeq).toBe(5);
  });
});
