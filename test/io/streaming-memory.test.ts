import { createWriteStream } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openInput } from "../../src/io/open-input.js";
import { tempDir } from "./helpers.js";

// Slow by design (it writes and reads ~80 MB): its own timeout. Memory, not time, is asserted.
const TIMEOUT = 120_000;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

async function writeLines(path: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  for (let i = 0; i < count; i++) {
    if (!out.write(line(i))) await new Promise<void>((r) => out.once("drain", () => r()));
  }
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
}

/** Reads every item while sampling the heap; returns the item count and the peak growth in MB. */
async function readMeasuring(path: string): Promise<{ count: number; growthMb: number }> {
  const base = process.memoryUsage().heapUsed;
  let peak = base;
  let count = 0;
  for await (const item of openInput(path).items) {
    if (item.kind !== "record") throw new Error(`unexpected invalid item: ${JSON.stringify(item)}`);
    if (++count % 2_000 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  return { count, growthMb: (peak - base) / 1e6 };
}

const filler = "lorem ipsum dolor sit amet ".repeat(14); // ~380 bytes per line: the file is far bigger than the bound

describe("readers stream in bounded memory", () => {
  it(
    "reads a 200,000-line JSONL file (~80 MB) with bounded heap growth",
    async () => {
      const path = join(tmp.dir, "big.jsonl");
      await writeLines(path, 200_000, (i) => `${JSON.stringify({ id: `req-${i}`, prompt: `Summarize ${i}: ${filler}` })}\n`);
      const { count, growthMb } = await readMeasuring(path);
      expect(count).toBe(200_000);
      // Holding the file would take well over 100 MB of heap; streaming holds a chunk and the id set (~12 MB).
      expect(growthMb).toBeLessThan(100);
    },
    TIMEOUT,
  );

  it(
    "reads a 100,000-row CSV file with bounded heap growth",
    async () => {
      const path = join(tmp.dir, "big.csv");
      await writeLines(path, 100_001, (i) => (i === 0 ? "id,prompt\n" : `r${i},"Summarize, line ${i}:\n${filler}"\n`));
      const { count, growthMb } = await readMeasuring(path);
      expect(count).toBe(100_000);
      expect(growthMb).toBeLessThan(100);
    },
    TIMEOUT,
  );
});
