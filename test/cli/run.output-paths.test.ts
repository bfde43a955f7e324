/**
 * Output paths are checked before anything is opened or sent (src/io/output-paths.ts): no output may
 * be the input or another output, whatever path leads to it, and each must be a writable file path.
 * Every refused run here must exit 2, send nothing, and leave every file exactly as it was.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, existsSync, linkSync, mkdirSync, readFileSync, statSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../helpers/files.js";
import { jsonLines, readJsonlFile, ROOT, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const simulator = useSimulator();
const TICKETS = join(ROOT, "test/fixtures/support-tickets.jsonl");

/** A folder with the user's input `tickets.jsonl`, a symlink and a hard link to it, and a sub-folder. */
function workspace(): string {
  const dir = tempDir();
  copyFileSync(TICKETS, join(dir, "tickets.jsonl"));
  symlinkSync("tickets.jsonl", join(dir, "latest.jsonl"));
  linkSync(join(dir, "tickets.jsonl"), join(dir, "tickets-backup.jsonl"));
  mkdirSync(join(dir, "archive"));
  return dir;
}

/** Runs `llmbatch run tickets.jsonl <args>` in `dir` and checks it was refused with nothing sent or changed. */
async function expectRefused(dir: string, args: string[], message: RegExp): Promise<string> {
  const before = snapshot(dir);
  simulator.sim().resetStats();
  const r = await runCli(["run", "tickets.jsonl", ...args, "-q"], { env: simulator.env(), cwd: dir });
  expect(r.stderr).toMatch(message);
  expect(r.code).toBe(2);
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  expect(simulator.sim().stats().requests).toBe(0);
  expect(snapshot(dir)).toEqual(before);
  return r.stderr;
}

describe("-o naming the input never empties it", () => {
  it.each([
    ["directly", "tickets.jsonl"],
    ["through a symlink", "latest.jsonl"],
    ["through another path", "./archive/../tickets.jsonl"],
    ["through a hard link", "tickets-backup.jsonl"],
  ])("%s", async (_how, output) => {
    const dir = workspace();
    await expectRefused(dir, ["-o", output], /the input .*and -o .*(name the same file|are the same file).*never writes to its input\); nothing was sent/);
    await expectRefused(dir, ["-o", output, "--resume"], /the input .*and -o /);
  });

  it("also when the input is named through a symlink and -o is the file itself", async () => {
    const dir = workspace();
    const before = snapshot(dir);
    const r = await runCli(["run", "latest.jsonl", "-o", "tickets.jsonl", "-q"], { env: simulator.env(), cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('the input "latest.jsonl" and -o "tickets.jsonl" are the same file');
    expect(snapshot(dir)).toEqual(before);
  });
});

describe("--summary, --report and --metrics-file naming the input never overwrite it", () => {
  it.each([
    ["--summary", "tickets.jsonl"],
    ["--report", "latest.jsonl"],
    ["--metrics-file", "tickets-backup.jsonl"],
    ["--summary", "archive/../tickets.jsonl"],
  ])("%s %s", async (flag, path) => {
    const dir = workspace();
    await expectRefused(dir, ["-o", "results.jsonl", flag, path], new RegExp(`the input .*and ${flag} .*never writes to its input`));
  });
});

describe("two outputs that are the same file are refused, naming both flags", () => {
  it.each([
    [["-o", "x", "--summary", "x"], '-o and --summary name the same file: "x"'],
    [["-o", "results.jsonl", "--metrics-file", "results.jsonl"], '-o and --metrics-file name the same file: "results.jsonl"'],
    [["--summary", "run.out", "--report", "run.out"], '--summary and --report name the same file: "run.out"'],
    [["-o", "results.jsonl", "--summary", "results.jsonl.meta.json"], 'the sidecar of -o and --summary name the same file: "results.jsonl.meta.json"'],
    [["-o", "results.jsonl", "--report", "./archive/../results.jsonl"], '-o "results.jsonl" and --report "./archive/../results.jsonl" are the same file'],
  ])("%j", async (args, message) => {
    const dir = workspace();
    const stderr = await expectRefused(dir, args, /same file/);
    expect(stderr).toContain(message);
  });

  it("an existing results file, with --resume, is not appended to by --metrics-file", async () => {
    const dir = workspace();
    const first = await runCli(["run", "tickets.jsonl", "-o", "results.jsonl", "-q"], { env: simulator.env(), cwd: dir });
    expect(first.code).toBe(0);
    symlinkSync("results.jsonl", join(dir, "results-link.jsonl"));
    await expectRefused(dir, ["-o", "results.jsonl", "--resume", "--metrics-file", "results-link.jsonl"], /-o "results.jsonl" and --metrics-file "results-link.jsonl" are the same file/);
    expect(readJsonlFile(join(dir, "results.jsonl"))).toHaveLength(4);
  });
});

describe("an output path that cannot be written is exit 2 before anything is sent", () => {
  it.each(["--summary", "--report", "--metrics-file", "-o"])("%s naming a folder", async (flag) => {
    const dir = workspace();
    const stderr = await expectRefused(dir, [flag, "archive"], new RegExp(`${flag} "archive" is a folder, expected a file; nothing was sent`));
    expect(stderr).not.toContain(".tmp-");
  });

  it("-o in a missing folder says the folder is missing (not the sidecar's temp file)", async () => {
    const dir = workspace();
    const stderr = await expectRefused(dir, ["-o", "nodir/out.jsonl"], /^error: -o "nodir\/out.jsonl": the folder "nodir" does not exist; nothing was sent\n$/);
    expect(stderr).not.toContain("meta.json");
  });

  it("--summary or --report naming a pipe is refused: a rename would replace it", async () => {
    // A pipe of our own, not /dev/null: without the check, a run as root would rename over it.
    const dir = workspace();
    execFileSync("mkfifo", [join(dir, "pipe")]);
    await expectRefused(dir, ["--summary", "pipe"], /--summary "pipe" is not a regular file/);
    await expectRefused(dir, ["--report", "pipe"], /--report "pipe" is not a regular file/);
  });

  it("-o and --metrics-file to /dev/null are fine, and -o gets no sidecar there", async () => {
    // Another process (an older llmbatch) may have left one there: this run must not write it.
    const before = existsSync("/dev/null.meta.json") ? statSync("/dev/null.meta.json").mtimeMs : undefined;
    const r = await runCli(["run", "tickets.jsonl", "-o", "/dev/null", "--metrics-file", "/dev/null", "-q"], { env: simulator.env(), cwd: workspace() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(existsSync("/dev/null.meta.json") ? statSync("/dev/null.meta.json").mtimeMs : undefined).toBe(before);
    expect(statSync("/dev/null").isCharacterDevice()).toBe(true);
  });
});

describe("distinct outputs still run", () => {
  it("writes results, sidecar, summary, report and metrics next to the input, which is left as it was", async () => {
    const dir = workspace();
    const input = readFileSync(join(dir, "tickets.jsonl"));
    const r = await runCli(["run", "latest.jsonl", "-o", "archive/results.jsonl", "--summary", "s.json", "--report", "r.html", "--metrics-file", "m.jsonl", "-q"], { env: simulator.env(), cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(
      readJsonlFile(join(dir, "archive/results.jsonl"))
        .map((l) => l.id)
        .sort(),
    ).toEqual(["T-1041", "T-1042", "T-1043", "T-1044"]);
    for (const f of ["archive/results.jsonl.meta.json", "s.json", "r.html", "m.jsonl"]) expect(existsSync(join(dir, f))).toBe(true);
    expect(readFileSync(join(dir, "tickets.jsonl"))).toEqual(input);
    // stdin from a pipe is no file, so nothing to clash with.
    const piped = await runCli(["run", "-", "--summary", "s.json", "-q"], { env: simulator.env(), cwd: dir, stdin: input.toString() });
    expect(piped.code).toBe(0);
    expect(jsonLines(piped.stdout)).toHaveLength(4);
  });
});

// stdin redirected from a file (`run - -o a.jsonl < a.jsonl`) is that file, by device and inode.
describe("an output that is the file stdin is redirected from", () => {
  it.each([
    ["-o", ["-o", "tickets.jsonl"]],
    ["-o through a symlink", ["-o", "latest.jsonl"]],
    ["-o with --resume", ["-o", "tickets.jsonl", "--resume"]],
    ["--summary", ["-o", "out.jsonl", "--summary", "tickets.jsonl"]],
    ["--report", ["-o", "out.jsonl", "--report", "tickets-backup.jsonl"]],
    ["--metrics-file", ["--metrics-file", "tickets.jsonl"]],
  ])("%s is refused with exit 2, nothing sent and nothing changed", async (_what, args) => {
    for (const runThread of ["1", "0"]) {
      const dir = workspace();
      const before = snapshot(dir);
      simulator.sim().resetStats();
      const env = { ...simulator.env(), LLMBATCH_RUN_THREAD: runThread };
      const r = await runCli(["run", "-", ...args, "-q"], { env, cwd: dir, stdinFile: join(dir, "tickets.jsonl") });
      expect(r.stderr).toMatch(/the input \(stdin, redirected from a file\) and .* are the same file \(llmbatch never writes to its input\); nothing was sent/);
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(simulator.sim().stats().requests).toBe(0);
      expect(snapshot(dir)).toEqual(before);
    }
  });

  it("runs as usual when the outputs are other files", async () => {
    const dir = workspace();
    const r = await runCli(["run", "-", "--summary", "summary.json", "-q"], { env: simulator.env(), cwd: dir, stdinFile: join(dir, "tickets.jsonl") });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(4);
  });
});
