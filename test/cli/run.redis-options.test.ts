import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";
import { describeRedis, freePort, startRedisServer } from "../helpers/redis-server.js";

const simulator = useSimulator({ latencyMs: [5, 20], quiet: true });
const PASSWORD = "hunter2-Sw0rdfish";

function input(dir: string, n = 6): string {
  return writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: n }, (_, i) => ({ id: `r${i}`, prompt: `Say ${i}` }))));
}

/** Everything a run wrote: its stdout, stderr and every file in its folder (results, sidecar, summary, report, metrics). */
function everything(dir: string, r: { stdout: string; stderr: string }): string {
  return [r.stdout, r.stderr, ...readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8"))].join("\n");
}

describe("--redis: the URL is checked before anything is opened or sent", () => {
  it.each([
    ["http://127.0.0.1:6379", 'the scheme is "http"'],
    ["127.0.0.1:6379", "it has no scheme (for a Redis on 127.0.0.1:6379, write redis://127.0.0.1:6379)"],
    ["redis://", "it names no host"],
    ["redis://127.0.0.1:6379/zero", "database number"],
    ["redis://127.0.0.1:99999", "it is not a URL"],
  ])("refuses %s (exit 2)", async (url, why) => {
    const dir = tempDir();
    simulator.sim().resetStats();
    const r = await runCli(["run", input(dir), "-o", join(dir, "out.jsonl"), "--redis", url], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--redis must be a Redis URL, redis://[user:password@]host[:port][/db] or rediss://… (TLS)");
    expect(r.stderr).toContain(why);
    expect(simulator.sim().stats().requests).toBe(0);
    expect(readdirSync(dir)).toEqual(["in.jsonl"]);
  });

  it("masks the password of a bad URL in its message", async () => {
    const dir = tempDir();
    const r = await runCli(["run", input(dir), "--redis", `http://:${PASSWORD}@127.0.0.1:6379`], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("http://:***@127.0.0.1:6379");
    expect(r.stderr + r.stdout).not.toContain(PASSWORD);
  });

  it("reads LLMBATCH_REDIS_URL when --redis is not given (a bad one is named), and the flag wins over it", async () => {
    const dir = tempDir();
    const env = { ...simulator.env(), LLMBATCH_REDIS_URL: `http://:${PASSWORD}@nowhere` };
    const fromEnv = await runCli(["run", input(dir), "-o", join(dir, "a.jsonl")], { env });
    expect(fromEnv.code).toBe(2);
    expect(fromEnv.stderr).toContain("LLMBATCH_REDIS_URL must be a Redis URL");
    expect(fromEnv.stderr).not.toContain(PASSWORD);
    const port = await freePort();
    const flagWins = await runCli(["run", input(dir), "-o", join(dir, "b.jsonl"), "--redis", `redis://127.0.0.1:${port}`], { env });
    expect(flagWins.code).toBe(2);
    expect(flagWins.stderr).toContain(`redis://127.0.0.1:${port}`);
    expect(flagWins.stderr).not.toContain("LLMBATCH_REDIS_URL");
  });

  it("estimate accepts --redis and names it among the flags it ignores", async () => {
    const dir = tempDir();
    const r = await runCli(["estimate", input(dir), "--redis", "redis://127.0.0.1:1"], { env: simulator.env() });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("note: estimate ignores --redis");
  });
});

describeRedis("--redis: Redis unreachable, and the password never shown", () => {
  it("Redis unreachable at start: exit 2 naming the URL (password masked) and the error, nothing sent, no output written", async () => {
    const dir = tempDir();
    const port = await freePort();
    simulator.sim().resetStats();
    const r = await runCli(["run", input(dir), "-o", join(dir, "out.jsonl"), "--summary", join(dir, "s.json"), "--redis", `redis://:${PASSWORD}@127.0.0.1:${port}`], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`redis://:***@127.0.0.1:${port}`);
    expect(r.stderr).toMatch(/ECONNREFUSED|refused/);
    expect(r.stderr).toContain("nothing was sent");
    expect(simulator.sim().stats().requests).toBe(0);
    expect(readdirSync(dir)).toEqual(["in.jsonl"]);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });

  it("a wrong password: exit 2, nothing sent, neither password shown", async () => {
    const redis = await startRedisServer({ password: PASSWORD });
    try {
      const dir = tempDir();
      simulator.sim().resetStats();
      const wrong = "not-the-Passw0rd";
      const r = await runCli(["run", input(dir), "--redis", `redis://:${wrong}@127.0.0.1:${redis.port}`], { env: simulator.env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`redis://:***@127.0.0.1:${redis.port}`);
      expect(simulator.sim().stats().requests).toBe(0);
      expect(r.stdout + r.stderr).not.toContain(wrong);
      expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    } finally {
      await redis.close();
    }
  });

  it("a run with a password in the URL: summary, report, sidecar, results, metrics and both streams show it masked, never in clear", async () => {
    const redis = await startRedisServer({ password: PASSWORD });
    try {
      const dir = tempDir();
      const masked = `redis://:***@127.0.0.1:${redis.port}`;
      const r = await runCli(
        [
          "run",
          input(dir),
          "-o",
          join(dir, "out.jsonl"),
          "--summary",
          join(dir, "s.json"),
          "--report",
          join(dir, "r.html"),
          "--metrics-file",
          join(dir, "m.jsonl"),
          "--metrics-interval",
          "0.05",
          "-v",
          "--rpm",
          "600",
          "--redis",
          redis.url,
        ],
        { env: simulator.env() },
      );
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(readFileSync(join(dir, "s.json"), "utf8"));
      expect(summary.quota_store).toEqual({ kind: "redis", url: masked });
      expect(summary.quotas[0].share).toMatchObject({ requests: 6, all_requests: 6 });
      expect(r.stderr).toMatch(new RegExp(`quota store\\s+redis ${masked.replace(/[*.]/g, "\\$&")}`));
      expect(readFileSync(join(dir, "r.html"), "utf8")).toContain(masked);
      expect(readdirSync(dir).sort()).toEqual(["in.jsonl", "m.jsonl", "out.jsonl", "out.jsonl.meta.json", "r.html", "s.json"]);
      const all = everything(dir, r);
      expect(all).not.toContain(PASSWORD);
      expect(all).not.toContain(encodeURIComponent(PASSWORD));
      // What the run wrote into Redis: hashes, no key and no endpoint.
      const keys = (await redis.command("KEYS", "*")) as string[];
      expect(keys.length).toBeGreaterThan(0);
      expect(keys.join(" ")).not.toMatch(/sk-test|127\.0\.0\.1|gpt-4o-mini/);
    } finally {
      await redis.close();
    }
  });

  it("a run without --redis does not load the Redis client; a run with it does", async () => {
    const redis = await startRedisServer();
    try {
      const dir = tempDir();
      const preload = `--import=${join(ROOT, "test/helpers/loaded/record-modules.mjs")}`;
      const loaded = async (extra: string[], name: string) => {
        const file = join(dir, `${name}.txt`);
        const r = await runCli(["run", input(dir), "-o", join(dir, `${name}.jsonl`), ...extra], { env: { ...simulator.env(), NODE_OPTIONS: preload, LLMBATCH_TEST_LOADED: file } });
        expect(r.code, r.stderr).toBe(0);
        return readFileSync(file, "utf8").split("\n");
      };
      const client = (urls: string[]) => urls.filter((u) => /node_modules\/(@redis|redis|ioredis)\/|redis-quota-store/.test(u));
      const plain = await loaded([], "plain");
      // The recording works: the run's own modules are in the list.
      expect(plain.some((u) => u.endsWith("/dist/run/batch.js"))).toBe(true);
      expect(client(plain)).toEqual([]);
      const shared = await loaded(["--redis", redis.url], "shared");
      expect(client(shared).length).toBeGreaterThan(0);
    } finally {
      await redis.close();
    }
  });
});
