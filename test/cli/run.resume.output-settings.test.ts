/**
 * The sidecar records how the results are written (`output_format`, and `csv_guard` for CSV/TSV);
 * a resume that would write them otherwise is refused before anything is sent (exit 2), saying
 * which setting to use. A sidecar without these fields (an earlier version) stands for the defaults.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../helpers/files.js";
import { jsonl, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [5, 10] });

/** Tickets whose ids a spreadsheet would run as formulas; one the simulator refuses, so a resume has work. */
function tickets(dir: string): string {
  return writeTemp(
    dir,
    "tickets.jsonl",
    jsonl([
      { id: "=SUM(A1:A3)", prompt: "Classify: I was charged twice" },
      { id: "+33-612", prompt: "Classify: call me back" },
      { id: "T-3", prompt: "Classify: how do I add an admin? [[sim:bad_request]]" },
    ]),
  );
}

const meta = (out: string) => JSON.parse(readFileSync(`${out}.meta.json`, "utf8"));

async function refused(dir: string, args: string[], message: string): Promise<void> {
  const before = snapshot(dir);
  simulator.sim().resetStats();
  const r = await runCli(args, { env: simulator.env() });
  expect(r.stderr).toContain(message);
  expect(r.code).toBe(2);
  expect(simulator.sim().stats().requests).toBe(0);
  expect(snapshot(dir)).toEqual(before);
}

describe("the formula guard is kept across a resume", () => {
  it.each([
    [
      "on",
      [],
      ["--no-csv-guard"],
      "its cells were written with the formula guard (text starting with = + - @ prefixed with '), and a resume must write them the same way; resume without --no-csv-guard",
    ],
    ["off", ["--no-csv-guard"], [], "its cells were written without the formula guard (--no-csv-guard), and a resume must write them the same way; resume with --no-csv-guard"],
  ])("written with the guard %s, a resume with the other setting is refused", async (_how, firstFlags, resumeFlags, message) => {
    const dir = tempDir();
    const input = tickets(dir);
    const out = join(dir, "results.csv");
    const base = ["run", input, "-o", out, "--max-tokens", "8", "-q"];
    const first = await runCli([...base, ...firstFlags], { env: simulator.env() });
    expect(first.code, first.stderr).toBe(1);
    expect(meta(out)).toMatchObject({ output_format: "csv", csv_guard: firstFlags.length === 0 });
    await refused(dir, [...base, "--resume", ...resumeFlags], message);
    await refused(dir, [...base, "--resume", "--force", ...resumeFlags], message);
    // With the same setting, only the failed record runs again.
    simulator.sim().resetStats();
    const again = await runCli([...base, "--resume", ...firstFlags], { env: simulator.env() });
    expect(again.code).toBe(1);
    expect(simulator.sim().stats().requests).toBe(1);
  });

  it("a sidecar of an earlier version (no output fields) stands for the guard on", async () => {
    const dir = tempDir();
    const input = tickets(dir);
    const out = join(dir, "results.csv");
    const base = ["run", input, "-o", out, "--max-tokens", "8", "-q"];
    expect((await runCli(base, { env: simulator.env() })).code).toBe(1);
    const old = meta(out);
    delete old.output_format;
    delete old.csv_guard;
    writeFileSync(`${out}.meta.json`, JSON.stringify(old, null, 2));
    await refused(dir, [...base, "--resume", "--no-csv-guard"], "resume without --no-csv-guard");
    simulator.sim().resetStats();
    const again = await runCli([...base, "--resume"], { env: simulator.env() });
    expect(again.code).toBe(1);
    expect(simulator.sim().stats().requests).toBe(1);
    // The resume records the settings it wrote with.
    expect(meta(out)).toMatchObject({ output_format: "csv", csv_guard: true, created_at: old.created_at });
  });
});

describe("the output format is kept across a resume", () => {
  it("a file written as JSONL under a .csv name resumes only as JSONL", async () => {
    const dir = tempDir();
    const input = tickets(dir);
    const out = join(dir, "results.csv");
    const base = ["run", input, "-o", out, "--max-tokens", "8", "-q"];
    expect((await runCli([...base, "--output-format", "jsonl"], { env: simulator.env() })).code).toBe(1);
    expect(meta(out).output_format).toBe("jsonl");
    expect(meta(out).csv_guard).toBeUndefined();
    await refused(dir, [...base, "--resume"], `cannot resume "${out}": it is written as JSONL ("${out}.meta.json" says so), not CSV; resume with --output-format jsonl`);
    const again = await runCli([...base, "--resume", "--output-format", "jsonl"], { env: simulator.env() });
    expect(again.code).toBe(1);
  });

  it("a sidecar with a wrong type for them is refused as not an llmbatch run description", async () => {
    const dir = tempDir();
    const out = join(dir, "results.jsonl");
    copyFileSync(join(ROOT, "test/fixtures/support-tickets.jsonl"), join(dir, "in.jsonl"));
    const base = ["run", join(dir, "in.jsonl"), "-o", out, "--max-tokens", "8", "-q"];
    expect((await runCli(base, { env: simulator.env() })).code).toBe(0);
    writeFileSync(`${out}.meta.json`, JSON.stringify({ ...meta(out), csv_guard: "yes" }));
    await refused(dir, [...base, "--resume"], `"csv_guard" must be true or false, got "yes"`);
    writeFileSync(`${out}.meta.json`, JSON.stringify({ ...meta(out), csv_guard: true, output_format: "xlsx" }));
    await refused(dir, [...base, "--resume"], `"output_format" must be "jsonl" or "csv" or "tsv", got "xlsx"`);
  });
});
