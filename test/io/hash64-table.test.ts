import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { describe, expect, it } from "vitest";
import { Hash64Table } from "../../src/io/hash64-table.js";
import { ROOT } from "../helpers/cli.js";

/** A deterministic 32-bit generator (mulberry32), so the keys are the same on every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (t ^ (t >>> 14)) >>> 0;
  };
}

describe("Hash64Table: the compact registry of 64-bit ids", () => {
  it("holds a million keys exactly in at most 18 bytes each", () => {
    const table = new Hash64Table(255);
    const next = random(1);
    const keys = new Uint32Array(2_000_000);
    for (let i = 0; i < keys.length; i++) keys[i] = next();
    for (let i = 0; i < 1_000_000; i++) table.set(keys[2 * i]!, keys[2 * i + 1]!, (i % 255) + 1);
    expect(table.size).toBe(1_000_000);
    let wrong = 0;
    for (let i = 0; i < 1_000_000; i++) if (table.get(keys[2 * i]!, keys[2 * i + 1]!) !== (i % 255) + 1) wrong++;
    expect(wrong).toBe(0);
    // Keys never set are absent (a fresh stream of random keys: a clash would be a 2^-64 event).
    const other = random(2);
    let found = 0;
    for (let i = 0; i < 100_000; i++) if (table.get(other(), other()) !== 0) found++;
    expect(found).toBe(0);
    // 8 bytes of key + 1 of count per slot, at most 3/4 full and at least 1/2 after a growth.
    expect(table.bytes / table.size).toBeLessThanOrEqual(18);
  });

  it("tells apart keys that share a half, and keys a user typed (all zeros, counting up)", () => {
    const table = new Hash64Table(0xffffffff);
    for (let i = 0; i < 50_000; i++) {
      table.set(0, i, i + 1);
      table.set(i, 0, 0xffffffff - i);
      table.set(Math.imul(i, 0x9e3779b1), i ^ 0x80000000, 7); // halves in a fixed relation
    }
    expect(table.size).toBe(149_999); // (0, 0) is set twice
    expect(table.get(Math.imul(49_999, 0x9e3779b1), 49_999 ^ 0x80000000)).toBe(7);
    expect(table.get(0, 0)).toBe(0xffffffff);
    for (let i = 1; i < 50_000; i++) {
      expect(table.get(0, i)).toBe(i + 1);
      expect(table.get(i, 0)).toBe(0xffffffff - i);
    }
    expect(table.get(1, 1)).toBe(0);
  });

  it("replaces a value without adding a key", () => {
    const table = new Hash64Table(255);
    table.set(7, 9, 1);
    table.set(7, 9, 200);
    expect(table.size).toBe(1);
    expect(table.get(7, 9)).toBe(200);
  });
});

describe("IdRegistry memory", () => {
  it("keeps 300,000 content ids in under 30 bytes each (measured after a full GC, in a child process)", () => {
    // The built registry, in a process of its own with --expose-gc, so garbage does not count and
    // typed arrays (outside the JavaScript heap) do.
    const script = `
      import { IdRegistry } from ${JSON.stringify(pathToFileURL(join(ROOT, "dist/io/dedupe.js")).href)};
      const used = () => { globalThis.gc(); const m = process.memoryUsage(); return m.heapUsed + m.arrayBuffers; };
      const before = used();
      const registry = new IdRegistry();
      const ids = new Set();
      for (let line = 1; line <= 300000; line++) {
        const item = registry.assign({ kind: "record", record: { id: "", line, vars: { text: "review " + line } } });
        if (item.kind !== "record" || !/^c:[0-9a-f]{16}$/.test(item.record.id)) throw new Error("line " + line + ": " + JSON.stringify(item));
        if (line % 1000 === 0) ids.add(item.record.id);
      }
      const bytes = used() - before;
      process.stdout.write(JSON.stringify({ bytes, distinct: ids.size, alive: registry !== undefined }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8" })) as { bytes: number; distinct: number };
    expect(out.distinct).toBe(300);
    // The table: 9 bytes per slot, 1/2 to 3/4 full. A Map of the ids as strings takes ~100 or more.
    expect(out.bytes / 300_000).toBeLessThan(30);
  });
});
