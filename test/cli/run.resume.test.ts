import { appendFileSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, okCountById, readJsonlFile, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const KEY = "sk-resume-right-key";
let sim: SimulatorHandle;
let env: Record<string, string>;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

const records = (n: number, tag: string) => Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, prompt: `${tag} prompt ${i}` }));

describe("--resume", () => {
  it("finishes a run a fatal error stopped: the not-attempted records run, the done ones are not paid again", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(40, "f")));
    const out = join(dir, "out.jsonl");
    sim.resetStats();
    const first = await runCli(["run", input, "-o", out, "-c", "2", "-q"], { env: { ...env, OPENAI_API_KEY: "sk-wrong-key-000000" } });
    expect(first.code).toBe(3);
    expect(readJsonlFile(out)).toHaveLength(40);
    expect(existsSync(`${out}.meta.json`)).toBe(true);

    const second = await runCli(["run", input, "-o", out, "--resume", "-q", "--summary", join(dir, "s.json")], { env });
    expect(second.code).toBe(0);
    const lines = readJsonlFile(out);
    // The failed lines stay (the file is only ever appended to); each id now has exactly one ok line.
    expect(lines.length).toBe(80);
    const ok = okCountById(lines);
    expect(ok.size).toBe(40);
    expect([...ok.values()].every((n) => n === 1)).toBe(true);
    expect(sim.stats().ok).toBe(40);
    const summary = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
    expect(summary).toMatchObject({ records: 40, ok: 40, skipped: 0, exit_code: 0 });

    // A third resume has nothing left to do: nothing is sent, nothing is appended, exit 0.
    sim.resetStats();
    const third = await runCli(["run", input, "-o", out, "--resume", "-q", "--summary", join(dir, "s.json")], { env });
    expect(third.code).toBe(0);
    expect(readJsonlFile(out)).toHaveLength(80);
    expect(sim.stats().requests).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "s.json"), "utf8"))).toMatchObject({ records: 0, skipped: 40 });
  });

  it("cuts off a partial last line before appending", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(5, "p")));
    const out = join(dir, "out.jsonl");
    const first = await runCli(["run", input, "-o", out, "-q"], { env });
    expect(first.code).toBe(0);
    // What a crash in the middle of a write leaves: the done lines minus one, and half of it.
    const text = readFileSync(out, "utf8").split("\n");
    writeFileSync(out, `${text.slice(0, 3).join("\n")}\n${text[3]!.slice(0, 40)}`);
    sim.resetStats();
    const second = await runCli(["run", input, "-o", out, "--resume"], { env: { ...env } });
    expect(second.code).toBe(0);
    expect(second.stderr).toMatch(/cut off a partial last line \(40 bytes\)/);
    const lines = readJsonlFile(out); // every line parses
    expect(lines).toHaveLength(5);
    expect(okCountById(lines).size).toBe(5);
    expect(sim.stats().ok).toBe(2);
  });

  it("refuses to resume with another model or pipeline (exit 2, file untouched) unless --force", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(3, "m")));
    const out = join(dir, "out.jsonl");
    expect((await runCli(["run", input, "-o", out, "-q"], { env })).code).toBe(0);
    appendFileSync(out, '{"id":"m9","ok":fa'); // a partial line must survive a refused resume too
    const before = readFileSync(out);

    sim.resetStats();
    const other = await runCli(["run", input, "-o", out, "--resume", "-m", "gpt-4o"], { env });
    expect(other.code).toBe(2);
    expect(other.stderr).toContain("openai:gpt-4o-mini");
    expect(other.stderr).toContain("openai:gpt-4o");
    expect(other.stderr).toContain("--force");
    const template = await runCli(["run", input, "-o", out, "--resume", "--template", "Other: {{prompt}}"], { env });
    expect(template.code).toBe(2);
    expect(template.stderr).toMatch(/different steps, prompts or params/);
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(sim.stats().requests).toBe(0);

    // Limits and concurrency are not part of the fingerprint.
    const faster = await runCli(["run", input, "-o", out, "--resume", "-c", "9", "--rpm", "5000", "-q"], { env });
    expect(faster.code).toBe(0);

    const forced = await runCli(["run", input, "-o", out, "--resume", "-m", "gpt-4o", "--force", "-q"], { env });
    expect(forced.code).toBe(0);
    expect(JSON.parse(readFileSync(`${out}.meta.json`, "utf8")).models).toEqual(["openai:gpt-4o"]);
  });

  it("refuses a resume without -o, and one whose output has no sidecar unless --force", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(2, "s")));
    const noOutput = await runCli(["run", input, "--resume"], { env });
    expect(noOutput.code).toBe(2);
    expect(noOutput.stderr).toContain("--resume needs the results file it continues: pass -o <file>");
    const out = writeTemp(dir, "out.jsonl", `${JSON.stringify({ id: "s0", ok: true })}\n`);
    const noMeta = await runCli(["run", input, "-o", out, "--resume"], { env });
    expect(noMeta.code).toBe(2);
    expect(noMeta.stderr).toContain("out.jsonl.meta.json");
    const notResults = writeTemp(dir, "other.jsonl", `${JSON.stringify({ id: "s0", ok: true })}\n{"hello":1}\n`);
    const bad = await runCli(["run", input, "-o", notResults, "--resume", "--force"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain(`${notResults}:2: cannot resume`);
    // A resume of a file that does not exist yet is a first run (the same cron line every time).
    const fresh = join(dir, "new.jsonl");
    expect((await runCli(["run", input, "-o", fresh, "--resume", "-q"], { env })).code).toBe(0);
    expect(readJsonlFile(fresh)).toHaveLength(2);
  });

  it("--retry-failed reruns only the ids whose lines all failed; --resume then adds the missing ones", async () => {
    const dir = tempDir();
    const base = [
      { id: "good", prompt: "fine" },
      { id: "flaky", prompt: `fails once ${Date.now()} [[sim:fail:1:500]]` },
    ];
    const input = writeTemp(dir, "in.jsonl", jsonl(base));
    const out = join(dir, "out.jsonl");
    expect((await runCli(["run", input, "-o", out, "--max-retries", "0", "-q"], { env })).code).toBe(1);
    writeTemp(dir, "in.jsonl", jsonl([...base, { id: "new", prompt: "added later" }]));

    sim.resetStats();
    const retried = await runCli(["run", input, "-o", out, "--retry-failed", "-q", "--summary", join(dir, "s.json")], { env });
    expect(retried.code).toBe(0);
    expect(sim.stats().ok).toBe(1);
    expect(readJsonlFile(out).map((l) => [l.id, l.ok])).toEqual([
      ["good", true],
      ["flaky", false],
      ["flaky", true],
    ]);
    expect(JSON.parse(readFileSync(join(dir, "s.json"), "utf8"))).toMatchObject({ records: 1, ok: 1, skipped: 2 });

    const resumed = await runCli(["run", input, "-o", out, "--resume", "-q"], { env });
    expect(resumed.code).toBe(0);
    expect(readJsonlFile(out).map((l) => l.id)).toEqual(["good", "flaky", "flaky", "new"]);
  });

  it("resumes a CSV output: no second header, a partial last row (even inside a quoted cell) cut off", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(4, "c")));
    const out = join(dir, "out.csv");
    expect((await runCli(["run", input, "-o", out, "-q"], { env: { ...env, OPENAI_API_KEY: "sk-wrong-key-000000" } })).code).toBe(3);
    appendFileSync(out, 'c9,false,"half a quoted\r\ncell'); // a row cut in the middle of a quoted multi-line cell
    const second = await runCli(["run", input, "-o", out, "--resume"], { env });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("cut off a partial last line");
    const rows = readFileSync(out, "utf8").trimEnd().split("\r\n");
    expect(rows.filter((r) => r.startsWith("id,ok,"))).toHaveLength(1);
    expect(rows.filter((r) => /^c\d,true,/.test(r))).toHaveLength(4);
    expect(rows).toHaveLength(1 + 4 + 4);
  });
});
