import { expect, it } from "vitest";
import { tempDir, useSimulator, waitForLines } from "../helpers/cli.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { checkShardResults, readSummary, startShards, writeShards } from "../helpers/shared-runs.js";

const RPM = 1200;
const TPM = 200_000;
const K = 2;
// ~15 s at the limit, so Redis can go away and come back while both still run.
const PER_SHARD = 150;

const simulator = useSimulator({ rpm: RPM, tpm: TPM, latencyMs: [50, 150], quiet: true });
const redis = useRedisServer();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The processes a shared quota's entry in Redis lists (each process rewrites its own on every call). */
async function processesInRedis(): Promise<number> {
  const keys = (await redis().command("KEYS", "llmbatch:*:procs")) as string[];
  let n = 0;
  for (const key of keys) n += (await redis().command("HLEN", key)) as number;
  return n;
}

describeRedis("Redis going away in the middle of a --redis run", () => {
  it("killed -9: every record ok once, exit 0, one warning per process; restarted: the processes rejoin", { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const shards = writeShards(dir, K, PER_SHARD);
    simulator.sim().resetStats();
    const runs = startShards(shards, ["--max-tokens", "100", "--rpm", String(RPM), "--tpm", String(TPM), "--redis", redis().url], simulator.env());
    await waitForLines(shards[0]!.output, 30);
    expect(await processesInRedis()).toBe(K);
    await redis().kill9();
    await sleep(2_000);
    await redis().restart();
    // The restarted Redis is empty: the entries below are the processes writing again.
    let rejoined = 0;
    const deadline = Date.now() + 10_000;
    while (rejoined < K && Date.now() < deadline) {
      await sleep(100);
      rejoined = await processesInRedis();
    }
    const stillRunning = runs.filter((r) => r.child.exitCode === null).length;
    const done = await Promise.all(runs.map((r) => r.done));
    expect(rejoined).toBe(K);
    // Rejoined while the run went on, not by a last call at the end.
    expect(stillRunning).toBe(K);
    expect(done.map((r) => r.code)).toEqual([0, 0]);
    for (const r of done) {
      const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:") && /redis/i.test(l));
      expect(warnings, r.stderr).toHaveLength(1);
      expect(warnings[0]).toContain(`127.0.0.1:${redis().port}`);
      // And the note that it rejoined.
      expect(r.stderr).toMatch(/answers again/);
    }
    const { lines, notOkOnce } = checkShardResults(shards);
    expect(notOkOnce).toEqual([]);
    expect(lines).toBe(K * PER_SHARD);
    for (const s of shards.map(readSummary)) expect(s).toMatchObject({ ok: PER_SHARD, failed: 0, quota_store: { kind: "redis" } });
  });

  it("Ctrl-C: the run stops as without --redis (exit 130) and leaves Redis, its entry in the quota's process list removed", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const [shard] = writeShards(dir, 1, PER_SHARD);
    const [run] = startShards([shard!], ["--max-tokens", "100", "--rpm", String(RPM), "--redis", redis().url], simulator.env());
    await waitForLines(shard!.output, 20);
    expect(await processesInRedis()).toBe(1);
    run!.child.kill("SIGINT");
    const done = await run!.done;
    expect(done.code, done.stderr).toBe(130);
    expect(readSummary(shard!)).toMatchObject({ failed: 0, quota_store: { kind: "redis" } });
    expect(await processesInRedis()).toBe(0);
  });
});
