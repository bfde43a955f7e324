import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, jsonl, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

// Each request takes 100–150 ms, so a run lasts long enough for the line to be redrawn a few times.
const { env } = useSimulator({ latencyMs: [100, 150], seed: 11 });
const SCRIPT = "/usr/bin/script";

const quote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the real binary with a pseudo-terminal for its stdin, stdout and stderr (util-linux
 * `script`), as a user's terminal would: the progress line is drawn only on a TTY. Returns what
 * the terminal received, escape codes and redraws removed: one entry per frame drawn.
 */
async function runInTerminal(args: string[], stdinFile?: string): Promise<{ code: number | null; frames: string[]; text: string }> {
  expect(existsSync(SCRIPT), `${SCRIPT} is missing (Debian's bsdutils / util-linux package)`).toBe(true);
  const command = [process.execPath, BIN, ...args].map(quote).join(" ") + (stdinFile ? ` < ${quote(stdinFile)}` : "");
  const child = spawn(SCRIPT, ["-qfec", command, "/dev/null"], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", COLUMNS: "200", ...env() }, stdio: ["ignore", "pipe", "pipe"] });
  let raw = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (raw += d));
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  // cli-progress redraws by moving to column 1 (ESC [ 1 G) and clearing to the right.
  const frames = raw.split("\u001b[1G").map((f) => f.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]/g, "").replace(/\r/g, ""));
  return { code, frames, text: frames.join("\n") };
}

describe("the progress line on a terminal", () => {
  it("shows done/total, the percent and an ETA for a file input, ending at 100%", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: 24 }, (_, i) => ({ id: `t${i}`, prompt: `ticket ${i}` }))));
    const r = await runInTerminal(["run", input, "-c", "3", "--max-tokens", "8", "-o", join(dir, "out.jsonl")]);
    expect(r.code).toBe(0);
    const progress = r.frames.filter((f) => /\d+\/24 \d+%/.test(f));
    expect(progress.length, r.text).toBeGreaterThan(0);
    expect(progress.some((f) => / · ETA \d+s · /.test(f))).toBe(true);
    // The last frame is drawn from the final figures.
    expect(progress[progress.length - 1]).toMatch(/^█{20} 24\/24 100% /);
    expect(r.text).toContain("llmbatch summary");
  }, 60_000);

  it("counts a CSV's rows, not its lines, when quoted cells span lines", async () => {
    const dir = tempDir();
    // A pandas export of reviews: 8 rows over 14 lines (CRLF, multi-line quoted cells).
    const r = await runInTerminal(["run", "test/fixtures/reviews-pandas-multiline.csv", "--template", "Rating {{Rating}}: {{Title}}", "-c", "2", "--max-tokens", "8", "-o", join(dir, "out.jsonl")]);
    const progress = r.frames.filter((f) => /\d+\/\d+ \d+%/.test(f));
    expect(progress.length, r.text).toBeGreaterThan(0);
    for (const f of progress) expect(f).toMatch(/ \d\/8 \d+%/);
    expect(progress[progress.length - 1]).toMatch(/ 8\/8 100% /);
  }, 60_000);

  it("counts the records a --resume skips towards the total", async () => {
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    const records = Array.from({ length: 20 }, (_, i) => ({ id: `r${i}`, prompt: `item ${i}${i % 4 === 0 ? " [[sim:bad_request]]" : ""}` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const first = await runCli(["run", input, "-c", "4", "--max-tokens", "8", "-o", out, "-q"], { env: env() });
    expect(first.code).toBe(1); // 5 bad requests failed; --resume runs those 5 again
    const r = await runInTerminal(["run", input, "-c", "1", "--max-tokens", "8", "-o", out, "--resume"]);
    const progress = r.frames.filter((f) => /\d+\/20 \d+%/.test(f));
    expect(progress.length, r.text).toBeGreaterThan(0);
    // 15 records were done before and 5 run now: the line counts the skipped ones as they are
    // passed, so it ends at 20/20, not at 5/20.
    expect(progress[progress.length - 1]).toMatch(/ 20\/20 100% /);
  }, 60_000);

  it("shows records done without a total for stdin", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: 12 }, (_, i) => ({ id: `s${i}`, prompt: `line ${i}` }))));
    const r = await runInTerminal(["run", "-", "-c", "3", "--max-tokens", "8", "-o", join(dir, "out.jsonl")], input);
    expect(r.code).toBe(0);
    const progress = r.frames.filter((f) => / done · \d+ in flight · [\d,]+ req\/min/.test(f));
    expect(progress.length, r.text).toBeGreaterThan(0);
    expect(progress[progress.length - 1]).toMatch(/^12 done · /);
    expect(r.text).not.toMatch(/\d+\/12|%/);
  }, 60_000);

  it("draws nothing when stderr is not a terminal", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl([{ id: "a", prompt: "hello" }]));
    const r = await runCli(["run", input, "--max-tokens", "8", "-o", join(dir, "out.jsonl")], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/done|\u001b|%/);
  }, 60_000);
});
