import { spawn } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT, useSimulator } from "../helpers/cli.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { admittedRatio, sampleSimulator } from "../helpers/shared-runs.js";

const RPM = 1200;
const TPM = 200_000;
const CALLS = 110;

const simulator = useSimulator({ rpm: RPM, tpm: TPM, latencyMs: [50, 150], quiet: true });
const redis = useRedisServer();

function client(config: object): Promise<{ code: number | null; out: Record<string, any>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, "test/helpers/service-client.mjs"), JSON.stringify(config)], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr, out: stdout === "" ? {} : JSON.parse(stdout.trim().split("\n").at(-1)!) }));
  });
}

describeRedis("BaseLLMService in two processes on one Redis", () => {
  it("two services, each told the real limit, share one quota: no 429s to speak of, the aggregate at the limit, each sees the other's traffic", { timeout: 60_000 }, async () => {
    simulator.sim().resetStats();
    const sampler = sampleSimulator(simulator.sim());
    const base = { baseUrl: simulator.sim().openaiBaseUrl, rpm: RPM, tpm: TPM, calls: CALLS, redis: redis().url };
    const [a, b] = await Promise.all([client({ ...base, name: "a" }), client({ ...base, name: "b" })]);
    sampler.stop();
    const stats = simulator.sim().stats();
    expect([a.code, b.code], a.stderr + b.stderr).toEqual([0, 0]);
    expect([a.out.ok, b.out.ok]).toEqual([CALLS, CALLS]);
    expect(stats.rateLimited / stats.requests).toBeLessThanOrEqual(0.005);
    expect(admittedRatio(sampler.samples, RPM)).toBeGreaterThanOrEqual(0.93);
    for (const { out } of [a, b]) {
      expect(out.summary.quota_store).toEqual({ kind: "redis", url: redis().url });
      const [quota] = out.summary.quotas;
      expect(quota.share.requests).toBe(quota.requests);
      // Both services' calls went through the one quota: more than this process's own.
      expect(quota.share.all_requests).toBeGreaterThan(quota.requests);
    }
  });
});
