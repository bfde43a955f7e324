/**
 * An unexpected exception is an internal error: exit 70 (not 1, "some records failed", nor 3, "fatal
 * provider error"), its message and a line asking to report it, and no stack trace unless
 * LLMBATCH_DEBUG=1. Faults come from a real failure (a folder removed mid-run) or from a preloaded
 * module that throws where a bug would (test/helpers/faults/).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, readJsonlFile, ROOT, runCli, tempDir, useSimulator, waitForLines, type CliRun } from "../helpers/cli.js";

const simulator = useSimulator();
const TICKETS = join(ROOT, "test/fixtures/support-tickets.jsonl");
const REPORT = /this is a bug in llmbatch: please report it/;
const STACK = /\n\s+at /;
const preload = (name: string) => `--import=${join(ROOT, "test/helpers/faults", name)}`;

/**
 * `llmbatch run - …` with stdin held open: the first ticket is sent, and once its result is in
 * `results.jsonl`, `between()` runs, then stdin ends and the run finishes.
 */
async function runHoldingStdin(dir: string, args: string[], env: Record<string, string>, between: () => void): Promise<CliRun> {
  const child = spawn(process.execPath, [BIN, "run", "-", "-o", "results.jsonl", ...args], { cwd: dir, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
  const done = new Promise<CliRun>((resolve) => child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr })));
  const [first, ...rest] = readFileSync(TICKETS, "utf8").split("\n");
  child.stdin.write(`${first}\n`);
  await waitForLines(join(dir, "results.jsonl"), 1);
  between();
  child.stdin.end(rest.join("\n"));
  return done;
}

describe("an internal error", () => {
  it("inside the run (the summary's folder removed mid-run): exit 70, the message, a line asking to report it, no stack", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "reports"));
    const r = await runHoldingStdin(dir, ["--summary", "reports/summary.json", "-q"], simulator.env(), () => rmSync(join(dir, "reports"), { recursive: true }));
    expect(r.stderr).toMatch(/^error: internal error: ENOENT: .*reports\/summary\.json/);
    expect(r.stderr).toMatch(REPORT);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(70);
    // The results were written before the summary failed.
    expect(readJsonlFile(join(dir, "results.jsonl"))).toHaveLength(4);
  });

  it("LLMBATCH_DEBUG=1 adds the stack trace", async () => {
    const dir = tempDir();
    mkdirSync(join(dir, "reports"));
    const r = await runHoldingStdin(dir, ["--summary", "reports/summary.json", "-q"], { ...simulator.env(), LLMBATCH_DEBUG: "1" }, () => rmSync(join(dir, "reports"), { recursive: true }));
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(REPORT);
    expect(r.stderr).toMatch(STACK);
  });

  it("that kills the run thread is 70, not 3 (a fatal provider error)", async () => {
    const r = await runCli(["run", TICKETS, "-q"], { env: { ...simulator.env(), NODE_OPTIONS: preload("throw-in-run-thread.mjs") } });
    expect(r.stderr).toMatch(/^error: internal error: TypeError: records\.map is not a function \(injected\)\n/);
    expect(r.stderr).toMatch(REPORT);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(70);
  });

  it("a run thread that ends without reporting is 70", async () => {
    const r = await runCli(["run", TICKETS, "-q"], { env: { ...simulator.env(), NODE_OPTIONS: preload("exit-run-thread.mjs") } });
    expect(r.stderr).toMatch(/internal error: the run thread ended without reporting how the run went/);
    expect(r.code).toBe(70);
  });

  it("uncaught on the main thread (LLMBATCH_RUN_THREAD=0) is 70 without a stack trace", async () => {
    const r = await runCli(["run", TICKETS, "-q"], { env: { ...simulator.env(), LLMBATCH_RUN_THREAD: "0", NODE_OPTIONS: preload("throw-in-main-thread.mjs") } });
    expect(r.stderr).toMatch(/^error: internal error: RangeError: Invalid array length \(injected\)\n/);
    expect(r.stderr).toMatch(REPORT);
    expect(r.stderr).not.toMatch(STACK);
    expect(r.code).toBe(70);
  });
});

describe("llmbatch with no command", () => {
  it("prints the help on stderr and exits 2; `llmbatch help` and --help still exit 0 with the help on stdout", async () => {
    const none = await runCli([]);
    expect(none.code).toBe(2);
    expect(none.stdout).toBe("");
    expect(none.stderr).toMatch(/Usage: llmbatch .*\n[\s\S]*Commands:[\s\S]*run \[options\] <input>/);
    for (const args of [["help"], ["--help"]]) {
      const asked = await runCli(args);
      expect(asked.code).toBe(0);
      expect(asked.stdout).toContain("Usage: llmbatch");
    }
  });
});
