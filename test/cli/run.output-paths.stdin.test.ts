/**
 * stdin redirected from a file (`run - -o a.jsonl < a.jsonl`) is that file: an output naming it is
 * refused before anything is opened or sent, as when the input is given by its path.
 */
import { copyFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../helpers/files.js";
import { jsonLines, ROOT, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const simulator = useSimulator();
const TICKETS = join(ROOT, "test/fixtures/support-tickets.jsonl");

function workspace(): string {
  const dir = tempDir();
  copyFileSync(TICKETS, join(dir, "tickets.jsonl"));
  symlinkSync("tickets.jsonl", join(dir, "latest.jsonl"));
  return dir;
}

describe("an output that is the file stdin is redirected from", () => {
  it.each([
    ["-o", ["-o", "tickets.jsonl"]],
    ["-o through a symlink", ["-o", "latest.jsonl"]],
    ["-o with --resume", ["-o", "tickets.jsonl", "--resume"]],
    ["--summary", ["-o", "out.jsonl", "--summary", "tickets.jsonl"]],
    ["--report", ["-o", "out.jsonl", "--report", "latest.jsonl"]],
    ["--metrics-file", ["--metrics-file", "tickets.jsonl"]],
  ])("%s is refused with exit 2, nothing sent and nothing changed", async (_what, args) => {
    const dir = workspace();
    const before = snapshot(dir);
    simulator.sim().resetStats();
    const r = await runCli(["run", "-", ...args, "-q"], { env: simulator.env(), cwd: dir, stdinFile: join(dir, "tickets.jsonl") });
    expect(r.stderr).toMatch(/the input \(stdin, redirected from a file\) and .* are the same file \(llmbatch never writes to its input\); nothing was sent/);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(simulator.sim().stats().requests).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it("also on the main thread (LLMBATCH_RUN_THREAD=0)", async () => {
    const dir = workspace();
    const before = snapshot(dir);
    const r = await runCli(["run", "-", "-o", "tickets.jsonl", "-q"], { env: { ...simulator.env(), LLMBATCH_RUN_THREAD: "0" }, cwd: dir, stdinFile: join(dir, "tickets.jsonl") });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the input (stdin, redirected from a file) and -o");
    expect(snapshot(dir)).toEqual(before);
  });

  it("runs as usual when the outputs are other files", async () => {
    const dir = workspace();
    const r = await runCli(["run", "-", "--summary", "summary.json", "-q"], { env: simulator.env(), cwd: dir, stdinFile: join(dir, "tickets.jsonl") });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).length).toBeGreaterThan(0);
  });
});
