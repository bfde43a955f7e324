import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, readJsonlFile, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";
import { runInTerminal, shellQuote } from "../helpers/terminal.js";

const { env } = useSimulator({ latencyMs: [5, 20], seed: 5 });

// A named pipe can be read once: a progress counter opening it as a second reader would take
// records from the run's reader, so records would be lost (or the run would wait for data the
// counter took).
describe("the progress line with a named pipe as input", () => {
  for (const shape of ["a FIFO named .jsonl", "a FIFO without extension, with --format jsonl"] as const) {
    it(`reads every record of ${shape}, with no total on the line`, { timeout: 60_000 }, async () => {
      const dir = tempDir();
      const records = Array.from({ length: 300 }, (_, i) => ({ id: `feed-${i}`, prompt: `Classify message ${i} from the support inbox.` }));
      const source = writeTemp(dir, "feed.jsonl", jsonl(records));
      const fifo = join(dir, shape.includes(".jsonl") ? "live.jsonl" : "live");
      execFileSync("mkfifo", [fifo]);
      const out = join(dir, "out.jsonl");
      const args = ["run", fifo, "-c", "4", "--max-tokens", "8", "-o", out, ...(shape.includes("--format") ? ["--format", "jsonl"] : [])];
      const r = await runInTerminal(args, { env: env(), before: `cat ${shellQuote(source)} > ${shellQuote(fifo)} &`, hangMs: 40_000 });
      expect(r.hung, r.text).toBe(false);
      expect(r.code, r.text).toBe(0);
      expect(
        readJsonlFile(out)
          .map((l) => l.id)
          .sort(),
      ).toEqual(records.map((x) => x.id).sort());
      const progress = r.frames.filter((f) => / done · \d+ in flight/.test(f) || /\d+\/\d+ \d+%/.test(f));
      expect(progress.length, r.text).toBeGreaterThan(0);
      for (const f of progress) expect(f).not.toMatch(/\d+\/\d+ \d+%/);
    });
  }
});
