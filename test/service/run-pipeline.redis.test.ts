import { expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { UsageError } from "../../src/errors.js";
import { runPipeline } from "../../src/run/run-pipeline.js";
import type { GenerationResult } from "../../src/types.js";
import { useSimulator } from "../helpers/cli.js";
import { describeRedis, freePort, useRedisServer } from "../helpers/redis-server.js";

const { sim } = useSimulator({ quiet: true, latencyMs: [5, 15] });
const redis = useRedisServer();

const pipeline = () => ({ ...defaultPipeline(), model: "gpt-4o-mini", params: { max_tokens: 30 } });
const rows = Array.from({ length: 8 }, (_, i) => ({ id: `r${i}`, prompt: `Say ${i}` }));

async function collect(stream: AsyncIterable<GenerationResult>): Promise<GenerationResult[]> {
  const out: GenerationResult[] = [];
  for await (const r of stream) out.push(r);
  return out;
}

describeRedis("runPipeline({ redis })", () => {
  it("spends its quotas in that Redis while it runs and leaves it at the end", async () => {
    const connections = { openai: { apiKey: "sk-test", baseUrl: sim().openaiBaseUrl } };
    const stream = runPipeline(pipeline(), rows, { connections, rpm: 600, redis: redis().url });
    let procsDuring = 0;
    const results: GenerationResult[] = [];
    for await (const r of stream) {
      results.push(r);
      if (results.length === 4) {
        const [key] = (await redis().command("KEYS", "llmbatch:*:procs")) as string[];
        procsDuring = key === undefined ? 0 : ((await redis().command("HLEN", key)) as number);
      }
    }
    expect(results.map((r) => r.ok)).toEqual(rows.map(() => true));
    expect(procsDuring).toBe(1);
    const [key] = (await redis().command("KEYS", "llmbatch:*:procs")) as string[];
    expect(key === undefined ? 0 : await redis().command("HLEN", key)).toBe(0);
  });

  it("rejects before sending anything when the Redis cannot be reached, the password masked", async () => {
    const port = await freePort();
    sim().resetStats();
    const connections = { openai: { apiKey: "sk-test", baseUrl: sim().openaiBaseUrl } };
    const run = collect(runPipeline(pipeline(), rows, { connections, redis: `redis://:pa55-w0rd@127.0.0.1:${port}` }));
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(`redis: cannot use Redis at redis://:***@127.0.0.1:${port}`);
    await expect(run).rejects.not.toThrow("pa55-w0rd");
    expect(sim().stats().requests).toBe(0);
  });

  it("refuses a URL that is not redis:// or rediss://", async () => {
    await expect(collect(runPipeline(pipeline(), rows, { redis: "http://127.0.0.1:6379" }))).rejects.toThrow(
      'redis must be a Redis URL, redis://[user:password@]host[:port][/db] or rediss://… (TLS): the scheme is "http"',
    );
  });
});
