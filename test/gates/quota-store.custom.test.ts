import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBatch } from "../../src/run/batch.js";
import { loadPipeline } from "../../src/config/pipeline.js";
import { resolveRunOptions } from "../../src/config/run-options.js";
import { MemoryQuotaStore } from "../../src/gates/memory-quota-store.js";
import type { QuotaGauges, QuotaLimits, QuotaStore, TakeResult } from "../../src/gates/quota-store.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import type { RateLimitInfo } from "../../src/types.js";

/**
 * A store of the caller's own, as a shared one (Redis) would be: every answer a promise, every
 * call recorded, the buckets themselves delegated to the in-memory store.
 */
class RecordingStore implements QuotaStore {
  readonly inner = new MemoryQuotaStore();
  readonly takes: { key: string; tokens: number; taken: boolean }[] = [];
  readonly settles: { key: string; reserved: number; used: number | undefined }[] = [];
  readonly defined = new Map<string, QuotaLimits[]>();
  observed = 0;

  async define(key: string, limits: QuotaLimits): Promise<void> {
    this.defined.set(key, [...(this.defined.get(key) ?? []), limits]);
    this.inner.define(key, limits);
  }
  async take(key: string, tokens: number): Promise<TakeResult> {
    const r = this.inner.take(key, tokens);
    this.takes.push({ key, tokens, taken: r.taken });
    return r;
  }
  async settle(key: string, reserved: number, used: number | undefined): Promise<void> {
    this.settles.push({ key, reserved, used });
    this.inner.settle(key, reserved, used);
  }
  async pause(key: string, ms: number): Promise<void> {
    this.inner.pause(key, ms);
  }
  async observe(key: string, info: RateLimitInfo): Promise<void> {
    this.observed++;
    this.inner.observe(key, info);
  }
  gauges(key: string): QuotaGauges {
    return this.inner.gauges(key);
  }
}

let sim: SimulatorHandle;
beforeAll(async () => (sim = await startSimulator({ quiet: true, latencyMs: [1, 5], seed: 3 })));
afterAll(() => sim.close());

describe("a custom quota store passed to runBatch", () => {
  it("takes, settles and observes every call of a two-model pipeline, one quota per model", async () => {
    const dir = mkdtempSync(join(tmpdir(), "llmbatch-store-"));
    const store = new RecordingStore();
    const pipeline = await loadPipeline("test/fixtures/quotas/two-models.yaml");
    const { summary, exitCode } = await runBatch({
      input: "test/fixtures/quotas/tickets.jsonl",
      output: join(dir, "out.jsonl"),
      options: resolveRunOptions({ concurrency: 3 }, pipeline),
      connections: { openai: { apiKey: "sk-store-test", baseUrl: sim.openaiBaseUrl } },
      quotaStore: store,
    });
    expect(exitCode).toBe(0);
    expect(summary).toMatchObject({ records: 6, ok: 6, attempts: 12 });
    const granted = store.takes.filter((t) => t.taken);
    expect(granted).toHaveLength(summary.attempts);
    expect(store.settles).toHaveLength(summary.attempts);
    expect(store.observed).toBe(summary.attempts);
    // One quota per model, named by endpoint and a hash of the key, never the key itself.
    const keys = [...new Set(granted.map((t) => t.key))];
    expect(keys).toHaveLength(2);
    for (const key of keys) expect(key).not.toContain("sk-store-test");
    expect(keys.map((k) => k.split("|").pop()).sort()).toEqual(["gpt-4o", "gpt-4o-mini"]);
    // The run's limits on each quota, the step's own over them.
    const limitsOf = (model: string) => store.defined.get(keys.find((k) => k.endsWith(`|${model}`))!);
    expect(limitsOf("gpt-4o-mini")).toEqual([{ rpm: 3000 }]);
    expect(limitsOf("gpt-4o")).toEqual([{ rpm: 1200, tpm: 200_000 }]);
    // Every settlement refunds to what the server counted.
    const used = store.settles.reduce((n, s) => n + (s.used ?? 0), 0);
    expect(used).toBe(summary.usage.input_tokens + summary.usage.output_tokens);
    expect(summary.quotas.map((q) => [q.quota.split(" ")[0], q.requests, q.rpm_limit])).toEqual([
      ["gpt-4o-mini", 6, 3000],
      ["gpt-4o", 6, 1200],
    ]);
  });
});
