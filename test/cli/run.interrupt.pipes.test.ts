/**
 * Ctrl-C on a run whose input is a pipe that stays open: stdin before it sent any record, and a
 * named pipe (`mkfifo`) like stdin. And a run on such a pipe writes nothing before its first record.
 */
import { execFileSync, spawn } from "node:child_process";
import { createWriteStream, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, jsonLines, readJsonlFile, ROOT, tempDir, useSimulator, waitForLines } from "../helpers/cli.js";
import { startOnOpenPipe } from "../helpers/open-pipe.js";

const { env } = useSimulator({ latencyMs: [5, 20] });

const record = (i: number) => `${JSON.stringify({ id: `live-${i}`, prompt: `Summarize event ${i} from the live feed.` })}\n`;

describe("Ctrl-C before stdin sent any record", () => {
  for (const runThread of [true, false]) {
    it(`exits 130 with the summary, not "no records found" (${runThread ? "run thread" : "LLMBATCH_RUN_THREAD=0"})`, { timeout: 60_000 }, async () => {
      const dir = tempDir();
      const summaryPath = join(dir, "summary.json");
      const out = join(dir, "out.jsonl");
      // A semicolon header says, once read, that the run is reading its input and waits for rows.
      const run = startOnOpenPipe(["run", "-", "--format", "csv", "--template", "Classify: {{text}}", "-o", out, "--summary", summaryPath, "--no-progress"], { env: env(), runThread });
      run.child.stdin.write("text;channel\n");
      await run.saidOnStderr("cells are separated by a semicolon");
      run.child.kill("SIGINT");
      const { code } = await run.closed;
      const { stderr } = run.output();
      expect(stderr).not.toContain("no records found");
      expect(code, stderr).toBe(130);
      expect(stderr).toContain("stdin: stopped reading at the interrupt");
      const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
      expect(summary).toMatchObject({ records: 0, ok: 0, exit_code: 130 });
      expect(summary.stopped_reason).toBe("interrupted: stdin not read past the interrupt; the records after it are not in the output");
      expect(readFileSync(out, "utf8")).toBe("");
      run.child.stdin.destroy();
    });
  }
});

describe("a run on stdin that stays open writes nothing before the first record comes", () => {
  it("no results file and no sidecar until then; then it streams", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    const run = startOnOpenPipe(["run", "-", "--format", "csv", "--template", "Classify: {{text}}", "-o", out, "--no-progress"], { env: env() });
    run.child.stdin.write("text;channel\n");
    // The header is read (the run is waiting for its first row): the output is not touched yet.
    await run.saidOnStderr("cells are separated by a semicolon");
    expect(existsSync(out)).toBe(false);
    expect(existsSync(`${out}.meta.json`)).toBe(false);
    // (The CSV reader hands a row on once the next one starts, so two rows give the first line.)
    run.child.stdin.write("The app crashes when I upload a photo;email\nWhere is my refund?;chat\n");
    await waitForLines(out, 1);
    expect(existsSync(`${out}.meta.json`)).toBe(true);
    run.child.stdin.end();
    const { code } = await run.closed;
    expect(code, run.output().stderr).toBe(0);
    expect(readJsonlFile(out).map((l) => l.ok)).toEqual([true, true]);
  });
});

describe("Ctrl-C while reading a named pipe that stays open", () => {
  for (const runThread of [true, false]) {
    it(`stops reading it, as stdin, and exits 130 (${runThread ? "run thread" : "LLMBATCH_RUN_THREAD=0"})`, { timeout: 60_000 }, async () => {
      const dir = tempDir();
      const fifo = join(dir, "feed.jsonl");
      execFileSync("mkfifo", [fifo]);
      const summaryPath = join(dir, "summary.json");
      const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), NO_COLOR: "1", ...env() };
      if (!runThread) childEnv.LLMBATCH_RUN_THREAD = "0";
      const child = spawn(process.execPath, [BIN, "run", fifo, "--summary", summaryPath, "--no-progress"], { env: childEnv, cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
      const threeLines = new Promise<void>((resolve) =>
        child.stdout.setEncoding("utf8").on("data", (d: string) => {
          stdout += d;
          if (stdout.split("\n").length > 3) resolve();
        }),
      );
      const closed = new Promise<number | null>((resolve) => child.on("close", resolve));
      // The producer: writes three records and keeps the pipe open.
      const producer = createWriteStream(fifo);
      for (let i = 0; i < 3; i++) producer.write(record(i));
      await threeLines;
      child.kill("SIGINT");
      // Without the stop, the run would wait for the pipe's end, which only the producer can give.
      const hang = setTimeout(() => child.kill("SIGKILL"), 40_000);
      const code = await closed;
      clearTimeout(hang);
      producer.destroy();
      expect(code, stderr).toBe(130);
      // Lines come in completion order (no --ordered).
      expect(
        jsonLines(stdout)
          .map((l) => [l.id, l.ok])
          .sort(),
      ).toEqual([
        ["live-0", true],
        ["live-1", true],
        ["live-2", true],
      ]);
      expect(stderr).toContain(`${fifo}: stopped reading at the interrupt; records not read are not in the output, and --resume cannot read them from the pipe again`);
      expect(stderr).not.toContain("stdin");
      const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
      expect(summary).toMatchObject({ records: 3, ok: 3, exit_code: 130 });
      expect(summary.stopped_reason).toBe(`interrupted: ${fifo} not read past the interrupt; the records after it are not in the output`);
    });
  }
});
