import { expect, it } from "vitest";
import { tempDir, useSimulator } from "../helpers/cli.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { admittedRatio, admittedRatioBetween, checkShardResults, sampleSimulator, startShards, writeShards } from "../helpers/shared-runs.js";

const RPM = 1200;
const TPM = 200_000;
const PER_SHARD = 120;

const simulator = useSimulator({ rpm: RPM, tpm: TPM, latencyMs: [300, 600], quiet: true });
const redis = useRedisServer();

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function keysLike(pattern: string): Promise<string[]> {
  return (await redis().command("KEYS", pattern)) as string[];
}

/** Members of the quota's reservations (`<process>:<n>`) held now. */
async function held(): Promise<string[]> {
  const [key] = await keysLike("llmbatch:*:held");
  return key === undefined ? [] : ((await redis().command("ZRANGE", key, 0, -1)) as string[]);
}

describeRedis("a --redis process killed -9 while it holds reservations", () => {
  it("the others regain the full limit (the quota is not left smaller), every record of theirs ok once", { timeout: 90_000 }, async () => {
    const dir = tempDir();
    const [victimShard, ...shards] = writeShards(dir, 3, PER_SHARD);
    const args = ["--max-tokens", "100", "--rpm", String(RPM), "--tpm", String(TPM), "--redis", redis().url];
    simulator.sim().resetStats();
    // The victim starts first, so the one process in the quota's list is it.
    const [victim] = startShards([victimShard!], args, simulator.env());
    let victimId: string | undefined;
    for (let i = 0; i < 200 && victimId === undefined; i++) {
      await sleep(25);
      const [procs] = await keysLike("llmbatch:*:procs");
      if (procs !== undefined) victimId = ((await redis().command("HKEYS", procs)) as string[])[0];
    }
    expect(victimId).toBeDefined();
    const sampler = sampleSimulator(simulator.sim());
    const others = startShards(shards, args, simulator.env());
    const othersAt = performance.now();
    // Killed once the three share the quota and it holds several requests in flight.
    let heldByVictim: string[] = [];
    await sleep(3_000);
    for (let i = 0; i < 200 && heldByVictim.length < 2; i++) {
      heldByVictim = (await held()).filter((m) => m.startsWith(`${victimId}:`));
      if (heldByVictim.length < 2) await sleep(10);
    }
    victim!.child.kill("SIGKILL");
    const killedAt = performance.now();
    expect(heldByVictim.length).toBeGreaterThanOrEqual(2);
    const done = await Promise.all(others.map((r) => r.done));
    sampler.stop();
    expect((await victim!.done).signal).toBe("SIGKILL");
    expect(done.map((r) => r.code)).toEqual([0, 0]);
    const { notOkOnce } = checkShardResults(shards);
    expect(notOkOnce).toEqual([]);
    // After the kill (and 2 s for refunds never made): the two left hold the whole limit, as the three did.
    const after = sampler.samples.filter((s) => s.t >= killedAt);
    const before = admittedRatioBetween(sampler.samples, RPM, othersAt + 2_000, killedAt);
    const figures = JSON.stringify({ before, after: admittedRatio(after, RPM) });
    expect(before, figures).toBeGreaterThanOrEqual(0.95);
    expect(admittedRatio(after, RPM), figures).toBeGreaterThanOrEqual(0.95);
    const stats = simulator.sim().stats();
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.005);
  });
});
