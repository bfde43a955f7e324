/**
 * `--batch` with `--cache`: a cached request is answered from the cache and never put in a batch
 * (the cache lookup sits at the top of the call path the batch backend goes through too).
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, readJsonlFile, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ seed: 11 });

describe("run --batch --cache", () => {
  it("a rerun answers every cached request from the cache: no batch is created; a new record alone goes into one", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const cacheDir = join(dir, "cache");
    const rows = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, prompt: `Summarize item ${i} in one line.` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(rows));
    const args = (out: string, file = input) => ["run", file, "-o", join(dir, out), "--max-tokens", "30", "--batch", "--poll-interval", "0.1", "--cache", "--cache-dir", cacheDir, "-q"];
    const first = await runCli(args("a.jsonl"), { env: env() });
    expect(first.code, first.stderr).toBe(0);
    expect(sim().stats().batch.created).toHaveLength(1);

    sim().resetStats();
    const again = await runCli(args("b.jsonl"), { env: env() });
    expect(again.code, again.stderr).toBe(0);
    expect(sim().stats().batch.created).toHaveLength(0);
    expect(sim().stats().requests).toBe(0);
    const lines = readJsonlFile(join(dir, "b.jsonl"));
    expect(lines).toHaveLength(30);
    expect(lines.every((l) => l.ok && l.cost_usd === 0 && l.steps[0].cached === true && l.steps[0].batch === undefined)).toBe(true);
    const before = new Map(readJsonlFile(join(dir, "a.jsonl")).map((l) => [l.id, l.output]));
    for (const l of lines) expect(l.output).toBe(before.get(l.id));

    sim().resetStats();
    const more = writeTemp(dir, "more.jsonl", jsonl([...rows, { id: "new", prompt: "Summarize the new item in one line." }]));
    const third = await runCli(args("c.jsonl", more), { env: env() });
    expect(third.code, third.stderr).toBe(0);
    const created = sim().stats().batch.created;
    expect(created).toHaveLength(1);
    expect(Object.keys(sim().stats().batch.billed)).toHaveLength(1);
  });
});
