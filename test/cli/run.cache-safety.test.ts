/**
 * The cache is never a reason for a run to fail: two processes on one directory, a kill -9 in the
 * middle of a run, a damaged directory, an error response (never stored).
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, readJsonlFile, runCli, startCli, tempDir, useSimulator, waitForLines, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ latencyMs: [1, 5], seed: 11 });

const many = (n: number, tag = "") => Array.from({ length: n }, (_, i) => ({ id: String(i + 1), text: `item ${i + 1}${tag}` }));

function cacheArgs(dir: string, input: string, out: string, ...more: string[]): string[] {
  return ["run", input, "--template", "Say {{text}}", "--max-tokens", "20", "--cache", "--cache-dir", join(dir, "cache"), "-o", out, "-q", ...more];
}

describe("llmbatch run --cache: safe", () => {
  it("two processes on one cache directory at once both finish correctly, and a third run finds every answer", async () => {
    const dir = tempDir();
    const a = writeTemp(dir, "a.jsonl", jsonl(many(60, " a")));
    const b = writeTemp(dir, "b.jsonl", jsonl(many(60, " b")));
    sim().resetStats();
    const [ra, rb] = await Promise.all([runCli(cacheArgs(dir, a, join(dir, "ra.jsonl")), { env: env() }), runCli(cacheArgs(dir, b, join(dir, "rb.jsonl")), { env: env() })]);
    expect([ra.code, rb.code], ra.stderr + rb.stderr).toEqual([0, 0]);
    expect(ra.stderr + rb.stderr).not.toContain("cache");
    expect(sim().stats().requests).toBe(120);
    expect(readJsonlFile(join(dir, "ra.jsonl")).filter((l) => l.ok)).toHaveLength(60);
    expect(readJsonlFile(join(dir, "rb.jsonl")).filter((l) => l.ok)).toHaveLength(60);

    // Both inputs in one file: all 120 answers were stored, by either process.
    const both = writeTemp(dir, "both.jsonl", `${readFileSync(a, "utf8")}${readFileSync(b, "utf8").replace(/"id":"(\d+)"/g, '"id":"b$1"')}`);
    sim().resetStats();
    const r = await runCli(cacheArgs(dir, both, join(dir, "r3.jsonl")), { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(sim().stats().requests).toBe(0);
  });

  it("a kill -9 in the middle of a run leaves a cache the next run reads", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(many(400)));
    const out = join(dir, "r1.jsonl");
    // Slow enough that the kill lands while answers are still being written to the cache.
    const run = startCli([...cacheArgs(dir, input, out), "--concurrency", "4"], { env: { ...env() } });
    // Answers reach the store in batches (every 50 ms): past the first ones, while more are being written.
    await waitForLines(out, 150);
    run.child.kill("SIGKILL");
    const killed = await run.done;
    expect(killed.signal).toBe("SIGKILL");
    const written = readJsonlFile(out).length;
    expect(written).toBeLessThan(400);

    sim().resetStats();
    const summary = join(dir, "s2.json");
    const r = await runCli([...cacheArgs(dir, input, join(dir, "r2.jsonl")), "--summary", summary], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain("cache");
    const s = JSON.parse(readFileSync(summary, "utf8"));
    // What the killed run had committed is read back (at most its last batch of answers is lost).
    expect(s.cache.hits).toBeGreaterThan(0);
    expect(s.cache.hits).toBeLessThanOrEqual(written + 4);
    expect(s.cache.hits + s.cache.misses).toBe(400);
    expect(sim().stats().requests).toBe(s.cache.misses);
    expect(readJsonlFile(join(dir, "r2.jsonl")).filter((l) => l.ok)).toHaveLength(400);
  }, 60_000);

  it("a damaged cache directory is one warning and a normal run", async () => {
    const input = jsonl(many(3));
    for (const damage of ["garbage", "cut short", "a file"] as const) {
      const dir = tempDir();
      const file = writeTemp(dir, "in.jsonl", input);
      expect((await runCli(cacheArgs(dir, file, join(dir, "r1.jsonl")), { env: env() })).code).toBe(0);
      const data = join(dir, "cache", "data.mdb");
      const cacheDir = join(dir, "cache");
      if (damage === "garbage") writeFileSync(data, Buffer.alloc(64 * 1024, 0x5a));
      if (damage === "cut short") writeFileSync(data, readFileSync(data).subarray(0, 8192));
      const where = damage === "a file" ? ["--cache-dir", writeTemp(dir, "not-a-dir", "x")] : ["--cache-dir", cacheDir];
      sim().resetStats();
      const r = await runCli([...cacheArgs(dir, file, join(dir, "r2.jsonl")), ...where, "--no-progress"], { env: env() });
      expect(r.code, `${damage}: ${r.stderr}`).toBe(0);
      expect(r.stderr.match(/warning: cannot open the cache/g), damage).toHaveLength(1);
      expect(r.stderr).toContain("running without the cache");
      expect(sim().stats().requests).toBe(3);
      expect(readJsonlFile(join(dir, "r2.jsonl")).filter((l) => l.ok)).toHaveLength(3);
    }
  });

  it("an error response is never cached: the next run sends the request again", async () => {
    const dir = tempDir();
    // The first attempt with this content fails (500); with no retries the record fails, the next run's succeeds.
    const input = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: "f", text: "flaky [[sim:fail:1:500]]" },
        { id: "r", text: "refused [[sim:bad_request]]" },
        { id: "ok", text: "fine" },
      ]),
    );
    const args = (n: number) => [...cacheArgs(dir, input, join(dir, `r${n}.jsonl`)), "--max-retries", "0"];
    sim().resetStats();
    expect((await runCli(args(1), { env: env() })).code).toBe(1);
    expect(sim().stats().requests).toBe(3);
    expect(readJsonlFile(join(dir, "r1.jsonl")).find((l) => l.id === "f")?.ok).toBe(false);

    sim().resetStats();
    expect((await runCli(args(2), { env: env() })).code).toBe(1);
    // "ok" came from the cache; the two failures were sent again, and "f" now succeeds.
    expect(sim().stats().requests).toBe(2);
    const second = Object.fromEntries(readJsonlFile(join(dir, "r2.jsonl")).map((l) => [l.id, l]));
    expect(second.ok?.steps[0].cached).toBe(true);
    expect(second.f?.ok).toBe(true);
    expect(second.r?.ok).toBe(false);

    sim().resetStats();
    await runCli(args(3), { env: env() });
    // Only the refused request is sent: the flaky one's success was stored.
    expect(sim().stats().requests).toBe(1);
  });
});
