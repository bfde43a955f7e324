import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { ProviderError } from "../../src/errors.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { InputRecord, Provider } from "../../src/types.js";
import { collect, FakeProvider, reply } from "./fake-provider.js";

const records = (n: number): InputRecord[] => Array.from({ length: n }, (_, i) => ({ id: `r${i}`, line: i + 1, prompt: `p${i}`, vars: { prompt: `p${i}` } }));

function engine(provider: Provider, extra: Partial<ConstructorParameters<typeof GenerationEngine>[0]> = {}) {
  return new GenerationEngine({ pipeline: defaultPipeline(), provider: () => provider, prices: loadPriceTable(), retryTiming: { baseMs: 1, maxMs: 2 }, ...extra });
}

describe("GenerationEngine", () => {
  it("yields one result per record and never exceeds the concurrency", async () => {
    const p = new FakeProvider((prompt) => reply(`echo ${prompt}`, 2));
    const results = await collect(engine(p, { concurrency: 5 }).run(records(60)));
    expect(results).toHaveLength(60);
    expect(new Set(results.map((r) => r.id)).size).toBe(60);
    expect(results.every((r) => r.ok && r.output === `echo p${r.id.slice(1)}`)).toBe(true);
    expect(p.maxInFlight).toBeLessThanOrEqual(5);
    expect(p.maxInFlight).toBeGreaterThan(1);
    expect(results[0]!.cost_usd).toBeCloseTo((10 * 0.15 + 5 * 0.6) / 1e6, 12);
  });

  it("pulls input lazily: it reads only a bounded number of records ahead of the consumer", async () => {
    let read = 0;
    async function* source() {
      for (const r of records(1000)) {
        read++;
        yield r;
      }
    }
    const p = new FakeProvider(() => reply("x"));
    const it = engine(p, { concurrency: 4 }).run(source());
    let taken = 0;
    for await (const _ of it) {
      if (++taken === 10) break;
    }
    expect(read).toBeLessThan(10 + 4 * 2 + 2);
  });

  it("retries retriable errors and reports attempts, then succeeds", async () => {
    const seen = new Map<string, number>();
    const p = new FakeProvider(async (prompt) => {
      const n = (seen.get(prompt) ?? 0) + 1;
      seen.set(prompt, n);
      if (n < 3) throw new ProviderError({ type: "server", message: "500 boom", status: 500 });
      return reply("ok");
    });
    const [r] = await collect(engine(p).run(records(1)));
    expect(r!.ok).toBe(true);
    expect(r!.attempts).toBe(3);
    expect(r!.backoff.retries).toBe(2);
  });

  it("stops admitting after a fatal error; unsent records are not_attempted", async () => {
    const p = new FakeProvider(async () => {
      throw new ProviderError({ type: "auth", message: "401 bad key", status: 401 });
    });
    const e = engine(p, { concurrency: 1 });
    const results = await collect(e.run(records(20)));
    expect(results).toHaveLength(20);
    expect(p.calls).toBe(1);
    expect(results.filter((r) => r.error?.type === "auth")).toHaveLength(1);
    expect(results.filter((r) => r.error?.type === "not_attempted")).toHaveLength(19);
    expect(e.stopReason).toMatch(/^fatal: auth/);
  });

  it("keeps input order with ordered: true even when later records finish first", async () => {
    const p = new FakeProvider((prompt) => reply(prompt, prompt === "p0" ? 30 : 1));
    const results = await collect(engine(p, { concurrency: 4, ordered: true }).run(records(12)));
    expect(results.map((r) => r.id)).toEqual(records(12).map((r) => r.id));
  });

  it("fails before reading input when a provider cannot be created", () => {
    expect(
      () =>
        new GenerationEngine({
          pipeline: defaultPipeline(),
          prices: loadPriceTable(),
          provider: () => {
            throw new Error("no key");
          },
        }),
    ).toThrow("no key");
  });
});
