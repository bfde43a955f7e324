import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";
import { runInTerminal as inTerminal } from "../helpers/terminal.js";

// Each request takes 100–150 ms, so a run lasts long enough for the line to be redrawn a few times.
const { env } = useSimulator({ latencyMs: [100, 150], seed: 11 });

const runInTerminal = (args: string[], stdinFile?: string) => inTerminal(args, { stdinFile, env: env() });

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
