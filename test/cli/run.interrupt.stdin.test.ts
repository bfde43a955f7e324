import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, tempDir, useSimulator } from "../helpers/cli.js";
import { startOnOpenPipe } from "../helpers/open-pipe.js";

const { env } = useSimulator({ latencyMs: [5, 20] });

const record = (i: number) => `${JSON.stringify({ id: `live-${i}`, prompt: `Summarize event ${i} from the live feed.` })}\n`;

describe("Ctrl-C while reading stdin that stays open", () => {
  for (const runThread of [true, false]) {
    it(`stops reading at the interrupt and exits 130 with the pipe still open (${runThread ? "run thread" : "LLMBATCH_RUN_THREAD=0"})`, { timeout: 60_000 }, async () => {
      const dir = tempDir();
      const summaryPath = join(dir, "summary.json");
      const run = startOnOpenPipe(["run", "-", "--summary", summaryPath, "--no-progress"], { env: env(), runThread });
      for (let i = 0; i < 3; i++) run.child.stdin.write(record(i));
      await run.linesOut(3);
      run.child.kill("SIGINT");
      const { code } = await run.closed;
      expect(run.child.stdin.writableEnded).toBe(false); // the pipe was never closed by us
      expect(code).toBe(130);
      const { stdout, stderr } = run.output();
      expect(jsonLines(stdout).map((l) => [l.id, l.ok])).toEqual([
        ["live-0", true],
        ["live-1", true],
        ["live-2", true],
      ]);
      expect(stderr).toContain("stdin: stopped reading at the interrupt; records not read are not in the output, and --resume cannot read them from stdin again");
      const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
      expect(summary).toMatchObject({ records: 3, ok: 3, exit_code: 130 });
      expect(summary.stopped_reason).toBe("interrupted: stdin not read past the interrupt; the records after it are not in the output");
      run.child.stdin.destroy();
    });
  }
});
