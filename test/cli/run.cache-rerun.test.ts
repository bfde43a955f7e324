/**
 * `--cache` through the real binary against the simulator: an identical rerun sends nothing and
 * costs nothing, a changed record or step parameter re-sends exactly what changed.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, readJsonlFile, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ latencyMs: [1, 5], seed: 7 });

const records = [
  { id: "1", text: "alpha" },
  { id: "2", text: "beta" },
  { id: "3", text: "gamma" },
  { id: "4", text: "delta" },
];

const TWO_STEPS = (temperature: number) => `name: two-steps
model: gpt-4o-mini
params:
  max_tokens: 40
steps:
  - id: draft
    method: generate
    prompt: "Draft about {{text}}"
  - id: polish
    method: generate
    prompt: "Polish: {{steps.draft.output}}"
    params:
      temperature: ${temperature}
`;

function outputs(path: string): Record<string, unknown> {
  return Object.fromEntries(readJsonlFile(path).map((l) => [l.id, l.output]));
}

function summaryOf(path: string): Record<string, any> {
  return JSON.parse(readFileSync(path, "utf8"));
}

describe("llmbatch run --cache", () => {
  it("an identical second run sends 0 requests, costs $0 and writes the same outputs", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const args = (n: number) => ["run", input, "--template", "Say {{text}}", "--cache", "--cache-dir", join(dir, "cache"), "-o", join(dir, `r${n}.jsonl`), "--summary", join(dir, `s${n}.json`), "-q"];
    sim().resetStats();
    const first = await runCli(args(1), { env: env() });
    expect(first.code, first.stderr).toBe(0);
    expect(sim().stats().requests).toBe(4);
    const s1 = summaryOf(join(dir, "s1.json"));
    expect(s1.cache).toEqual({ hits: 0, misses: 4, saved_usd: 0 });
    expect(s1.cost_usd).toBeGreaterThan(0);

    sim().resetStats();
    const second = await runCli(args(2), { env: env() });
    expect(second.code, second.stderr).toBe(0);
    expect(sim().stats().requests).toBe(0);
    expect(outputs(join(dir, "r2.jsonl"))).toEqual(outputs(join(dir, "r1.jsonl")));
    const s2 = summaryOf(join(dir, "s2.json"));
    expect(s2.cost_usd).toBe(0);
    expect(s2.cache.hits).toBe(4);
    expect(s2.cache.misses).toBe(0);
    expect(s2.cache.saved_usd).toBeCloseTo(s1.cost_usd, 9);
    expect(s2.attempts).toBe(0);
    for (const line of readJsonlFile(join(dir, "r2.jsonl"))) {
      expect(line.cost_usd).toBe(0);
      expect(line.saved_usd).toBeGreaterThan(0);
      expect(line.steps[0]).toMatchObject({ cached: true, cost_usd: 0, attempts: 0 });
    }
    // The first run's lines say nothing about the cache: no hit, nothing saved.
    for (const line of readJsonlFile(join(dir, "r1.jsonl"))) {
      expect(line.saved_usd).toBeUndefined();
      expect(line.steps[0].cached).toBeUndefined();
    }
  });

  it("changing one record's text sends exactly one request", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const args = (n: number) => ["run", input, "--template", "Say {{text}}", "--cache", "--cache-dir", join(dir, "cache"), "-o", join(dir, `r${n}.jsonl`), "-q"];
    expect((await runCli(args(1), { env: env() })).code).toBe(0);
    writeFileSync(input, jsonl(records.map((r) => (r.id === "3" ? { ...r, text: "gamma, changed" } : r))));
    sim().resetStats();
    const r = await runCli(args(2), { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(sim().stats().requests).toBe(1);
    const lines = readJsonlFile(join(dir, "r2.jsonl"));
    expect(
      lines
        .filter((l) => l.steps[0].cached === true)
        .map((l) => l.id)
        .sort(),
    ).toEqual(["1", "2", "4"]);
  });

  it("changing one step's parameter re-sends only that step; the pipeline's cache: true turns it on, --no-cache off", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const pipeline = writeTemp(dir, "p.yaml", `cache: true\n${TWO_STEPS(0)}`);
    const args = (n: number, ...more: string[]) => ["run", input, "-p", pipeline, "--cache-dir", join(dir, "cache"), "-o", join(dir, `r${n}.jsonl`), "-q", ...more];
    sim().resetStats();
    expect((await runCli(args(1), { env: env() })).code).toBe(0);
    expect(sim().stats().requests).toBe(8);

    writeFileSync(pipeline, `cache: true\n${TWO_STEPS(0.5)}`);
    sim().resetStats();
    const r = await runCli(args(2), { env: env() });
    expect(r.code, r.stderr).toBe(0);
    // Only "polish" changed: 4 requests, one per record; "draft" came from the cache.
    expect(sim().stats().requests).toBe(4);
    for (const line of readJsonlFile(join(dir, "r2.jsonl"))) {
      expect(line.steps.map((s: { cached?: true }) => s.cached ?? false)).toEqual([true, false]);
      // The record paid for "polish" only, and saved what "draft" cost.
      expect(line.cost_usd).toBeCloseTo(line.steps[1].cost_usd, 12);
      expect(line.saved_usd).toBe(line.steps[0].saved_usd);
    }

    sim().resetStats();
    const off = await runCli(args(3, "--no-cache"), { env: env() });
    expect(off.code).toBe(0);
    expect(sim().stats().requests).toBe(8);
  });

  it("--cache-dir without --cache is a note, and nothing is cached", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records.slice(0, 1)));
    const r = await runCli(["run", input, "--template", "Say {{text}}", "--cache-dir", join(dir, "cache"), "--no-progress"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("--cache-dir has no effect without --cache");
    expect(r.stderr).not.toContain("cache  ");
  });
});
