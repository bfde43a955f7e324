/**
 * What Redis sees of a quota: hashes only. Neither the API key, nor its short hash in the quota key,
 * nor the endpoint or the model is written; and loading the store module does not load the client.
 */
import { execFileSync } from "node:child_process";
import { expect, it } from "vitest";
import { openAIStyleScopes } from "../../src/providers/quota-scope.js";
import { ROOT } from "../helpers/cli.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { useStores } from "./redis-helpers.js";

const API_KEY = "sk-proj-very-secret-key-0123456789";

describeRedis("Redis quota store: what is written to Redis", () => {
  const redis = useRedisServer({ password: "pw-not-in-redis" });
  const stores = useStores(redis);

  it("no API key, key hash, endpoint or model in any key or value", async () => {
    const scope = openAIStyleScopes("openai", "https://api.example.test/v1", API_KEY)("gpt-4o-mini-secret-model");
    const [s] = await stores(1);
    s?.define(scope.key, { rpm: 600, tpm: 60_000 });
    expect((await s?.take(scope.key, 10))?.taken).toBe(true);
    await s?.take(scope.key, 60_001); // refused as too large
    await s?.observe(scope.key, { limitRequests: 600, remainingRequests: 500 });
    await s?.pause(scope.key, 10);
    const keys = (await redis().command("KEYS", "*")) as string[];
    expect(keys.length).toBeGreaterThan(0);
    const dump: string[] = [...keys];
    for (const k of keys) {
      const type = await redis().command("TYPE", k);
      if (type === "hash") dump.push(...((await redis().command("HGETALL", k)) as string[]));
      else if (type === "zset") dump.push(...((await redis().command("ZRANGE", k, "0", "-1", "WITHSCORES")) as string[]));
      else dump.push(String(await redis().command("GET", k)));
    }
    const text = dump.join("\n");
    const keyHash = scope.key.split("|")[2] as string;
    expect(keyHash).toMatch(/^[0-9a-f]{12}$/);
    for (const secret of [API_KEY, keyHash, "api.example.test", "gpt-4o-mini-secret-model", "pw-not-in-redis"]) expect(text).not.toContain(secret);
  });

  it("importing the store module does not load @redis/client (a run without --redis never does)", () => {
    const script = `
      await import(${JSON.stringify(`${ROOT}dist/gates/redis-quota-store.js`)});
      const { default: Module } = await import("node:module");
      process.stdout.write(String(Object.keys(Module._cache).some((p) => p.includes("@redis"))));`;
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8" })).toBe("false");
    const loaded = script.replace(
      "process.stdout",
      "await (await import(" +
        JSON.stringify(`${ROOT}dist/gates/redis-quota-store.js`) +
        ")).openRedisQuotaStore({ url: 'redis://127.0.0.1:1', commandTimeoutMs: 200 }).catch(() => {}); process.stdout",
    );
    expect(execFileSync(process.execPath, ["--input-type=module", "-e", loaded], { encoding: "utf8" })).toBe("true"); // the control
  });
});
