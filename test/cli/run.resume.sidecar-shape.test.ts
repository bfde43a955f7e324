/**
 * `--resume` reads the sidecar `<output>.meta.json`; one with a field of the wrong type (a hand edit,
 * another tool's file) is exit 2 naming the field, never a crash, and the results are left untouched.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../helpers/files.js";
import { readJsonlFile, ROOT, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const simulator = useSimulator();

/** A finished run of the fixture in a fresh folder, as `--resume` finds it. */
async function finishedRun(): Promise<{ dir: string; meta: Record<string, unknown> }> {
  const dir = tempDir();
  copyFileSync(join(ROOT, "test/fixtures/support-tickets.jsonl"), join(dir, "tickets.jsonl"));
  const r = await runCli(["run", "tickets.jsonl", "-o", "results.jsonl", "-q"], { env: simulator.env(), cwd: dir });
  expect(r.code).toBe(0);
  return { dir, meta: JSON.parse(readFileSync(join(dir, "results.jsonl.meta.json"), "utf8")) as Record<string, unknown> };
}

describe("--resume with a sidecar of the wrong shape", () => {
  it.each([
    ["models", "notalist", /"models" must be a list of strings, got "notalist"/],
    ["models", ["openai:gpt-4o-mini", 7], /"models" must be a list of strings/],
    ["fingerprint", 42, /"fingerprint" must be a non-empty string, got 42/],
    ["pipeline", null, /"pipeline" must be a string, got null/],
    ["created_at", "yesterday", /"created_at" must be a date/],
    ["created_at", undefined, /"created_at" is missing/],
    ["llmbatch_meta", 2, /"llmbatch_meta" must be 1, got 2/],
    ["spent_usd", -0.5, /"spent_usd" must be a number >= 0, got -0.5/],
    ["spent_usd", "0.20", /"spent_usd" must be a number >= 0, got "0.20"/],
  ])("%s = %j is exit 2 naming the field", async (field, value, message) => {
    const { dir, meta } = await finishedRun();
    writeFileSync(join(dir, "results.jsonl.meta.json"), JSON.stringify({ ...meta, [field]: value }));
    const before = snapshot(dir);
    simulator.sim().resetStats();
    for (const flag of ["--resume", "--retry-failed"]) {
      const r = await runCli(["run", "tickets.jsonl", "-o", "results.jsonl", flag, "-q"], { env: simulator.env(), cwd: dir });
      expect(r.stderr).toMatch(message);
      expect(r.stderr).toContain('"results.jsonl.meta.json" is not an llmbatch run description');
      expect(r.stderr).not.toMatch(/TypeError|\n\s+at /);
      expect(r.code).toBe(2);
    }
    expect(simulator.sim().stats().requests).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });

  it("a sidecar that is JSON but not an object is refused the same way", async () => {
    const { dir } = await finishedRun();
    writeFileSync(join(dir, "results.jsonl.meta.json"), "[1,2]\n");
    const r = await runCli(["run", "tickets.jsonl", "-o", "results.jsonl", "--resume", "-q"], { env: simulator.env(), cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("expected a JSON object, got a list");
  });

  it("accepts the optional spent_usd (a number >= 0) and fields a later llmbatch may add", async () => {
    const { dir, meta } = await finishedRun();
    writeFileSync(join(dir, "results.jsonl.meta.json"), JSON.stringify({ ...meta, spent_usd: 0.0021, note: "added later" }));
    simulator.sim().resetStats();
    const r = await runCli(["run", "tickets.jsonl", "-o", "results.jsonl", "--resume", "-q"], { env: simulator.env(), cwd: dir });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(simulator.sim().stats().requests).toBe(0);
    expect(readJsonlFile(join(dir, "results.jsonl"))).toHaveLength(4);
  });
});
