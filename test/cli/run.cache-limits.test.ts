/**
 * What bounds the cache: `--cache-max-size` evicts the least recently used answers, `--cache-ttl`
 * ignores old ones; and `llmbatch cache stats|clear`.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { describe, expect, it } from "vitest";
import { jsonl, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ latencyMs: [1, 3], seed: 5 });

const set = (tag: string, n: number) => jsonl(Array.from({ length: n }, (_, i) => ({ id: `${tag}${i}`, text: `${tag} number ${i}` })));

async function run(dir: string, input: string, ...more: string[]): Promise<{ hits: number; misses: number; requests: number }> {
  sim().resetStats();
  const summary = join(dir, "s.json");
  const r = await runCli(["run", input, "--template", "Say {{text}}", "--max-tokens", "20", "--cache", "--summary", summary, "-o", join(dir, "out.jsonl"), "-q", ...more], {
    env: { ...env(), LLMBATCH_CACHE_DIR: join(dir, "cache") },
  });
  expect(r.code, r.stderr).toBe(0);
  const { cache } = JSON.parse(readFileSync(summary, "utf8"));
  return { hits: cache.hits, misses: cache.misses, requests: sim().stats().requests };
}

async function stats(dir: string): Promise<Record<string, any>> {
  const r = await runCli(["cache", "stats", "--json", "--cache-dir", join(dir, "cache")]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describe("the cache's bounds", () => {
  it("--cache-max-size evicts the least recently used answers first", async () => {
    const dir = tempDir();
    const a = writeTemp(dir, "a.jsonl", set("a", 200));
    const b = writeTemp(dir, "b.jsonl", set("b", 200));
    expect((await run(dir, a)).misses).toBe(200);
    expect((await run(dir, b)).misses).toBe(200);
    // Uses are noted by the second: A's second run makes A more recently used than B.
    await sleep(1100);
    expect(await run(dir, a)).toMatchObject({ hits: 200, requests: 0 });
    const full = await stats(dir);
    expect(full.entries).toBe(400);

    // A maximum near 60% of what the store holds: eviction frees about 46% of the entries, from the least recently used.
    const small = writeTemp(dir, "c.jsonl", set("c", 1));
    await run(dir, small, "--cache-max-size", String(Math.round(full.used_bytes * 0.6)));
    const after = await stats(dir);
    expect(after.entries).toBeLessThan(400);
    expect(after.entries).toBeGreaterThan(200);

    expect(await run(dir, a)).toMatchObject({ hits: 200, requests: 0 });
    const againB = await run(dir, b);
    expect(againB.misses).toBeGreaterThan(100);
    expect(againB.requests).toBe(againB.misses);
  }, 60_000);

  it("--cache-ttl ignores answers older than it, and the answer sent again is stored anew", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", set("t", 5));
    expect((await run(dir, input)).misses).toBe(5);
    expect(await run(dir, input, "--cache-ttl", "1h")).toMatchObject({ hits: 5, requests: 0 });
    await sleep(1200);
    expect(await run(dir, input, "--cache-ttl", "1s")).toMatchObject({ hits: 0, misses: 5, requests: 5 });
    expect(await run(dir, input, "--cache-ttl", "1s")).toMatchObject({ hits: 5, requests: 0 });
  }, 30_000);

  it("cache stats counts entries and hits per day; cache clear --older-than removes only older answers, cache clear all", async () => {
    const dir = tempDir();
    const old = writeTemp(dir, "old.jsonl", set("o", 4));
    const fresh = writeTemp(dir, "new.jsonl", set("n", 3));
    await run(dir, old);
    await run(dir, old);
    // The old answers are 3 s older than the new ones; the clear below comes within a few seconds.
    await sleep(3200);
    await run(dir, fresh);
    const s = await stats(dir);
    expect(s.entries).toBe(7);
    expect(s.used_bytes).toBeGreaterThan(0);
    expect(s.file_bytes).toBeGreaterThanOrEqual(s.used_bytes);
    const total = s.by_day.reduce((n: { hits: number; misses: number }, d: { hits: number; misses: number }) => ({ hits: n.hits + d.hits, misses: n.misses + d.misses }), { hits: 0, misses: 0 });
    expect(total).toEqual({ hits: 4, misses: 7 });

    const table = await runCli(["cache", "stats"], { env: { LLMBATCH_CACHE_DIR: join(dir, "cache") } });
    expect(table.stderr).toContain("entries   7");
    expect(table.stdout).toBe("");

    const cleared = await runCli(["cache", "clear", "--older-than", "3s", "--cache-dir", join(dir, "cache")]);
    expect(cleared.code, cleared.stderr).toBe(0);
    expect(cleared.stderr).toContain("removed 4 entries older than 3s");
    expect((await stats(dir)).entries).toBe(3);
    expect(await run(dir, fresh)).toMatchObject({ hits: 3, requests: 0 });

    const all = await runCli(["cache", "clear", "--cache-dir", join(dir, "cache")]);
    expect(all.stderr).toContain("removed 3 entries");
    expect((await stats(dir)).entries).toBe(0);
    expect(await run(dir, fresh)).toMatchObject({ misses: 3, requests: 3 });

    const bad = await runCli(["cache", "clear", "--older-than", "soon", "--cache-dir", join(dir, "cache")]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--older-than must be a duration such as 30d");
  }, 30_000);

  it("bad --cache-max-size and --cache-ttl values are usage errors before anything is sent", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", set("x", 1));
    sim().resetStats();
    const size = await runCli(["run", input, "--cache", "--cache-max-size", "lots", "--template", "{{text}}"], { env: env() });
    expect(size.code).toBe(2);
    expect(size.stderr).toContain('--cache-max-size must be a size such as 2GB, 500MB or 1.5GiB (units B, KB, MB, GB, TB, KiB, MiB, GiB, TiB), got "lots"');
    const ttl = await runCli(["run", input, "--cache", "--cache-ttl", "30x", "--template", "{{text}}"], { env: env() });
    expect(ttl.code).toBe(2);
    expect(ttl.stderr).toContain("--cache-ttl must be a duration such as 30d");
    expect(sim().stats().requests).toBe(0);
  });
});
