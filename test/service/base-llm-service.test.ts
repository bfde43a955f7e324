import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.js";
import type { RunSummary } from "../../src/metrics/summary.js";
import { BaseLLMService, type GenerateRequest, type LLMServiceOptions } from "../../src/service/base-llm-service.js";
import { collectResults, mapResult, ResultFailedError, unwrap } from "../../src/service/results.js";
import type { LlmRequest, LlmResponse } from "../../src/types.js";
import { FakeProvider, reply } from "../engine/fake-provider.js";

class Echo extends BaseLLMService {
  constructor(
    readonly fake: FakeProvider,
    options: LLMServiceOptions = {},
  ) {
    super({ providers: () => fake, retryTiming: { baseMs: 1, maxMs: 2 }, ...options });
  }
  ask(request: GenerateRequest | string) {
    return this.generate(request);
  }
}

const echo = (delayMs = 0) => new FakeProvider((prompt) => reply(`echo ${prompt}`, delayMs));

describe("BaseLLMService", () => {
  it("counts an attempt that timed out in the summary's cost_unknown, at its worst case", async () => {
    const s = new Echo(new FakeProvider(async () => Promise.reject(new ProviderError({ type: "timeout", message: "timed out" }))), { maxRetries: 1 });
    const r = await s.ask({ prompt: "slow", params: { max_tokens: 100 } });
    expect(r.error!.type).toBe("timeout");
    const summary = s.summary();
    expect(summary.attempts).toBe(2);
    expect(summary.cost_unknown.attempts).toBe(2);
    // gpt-4o-mini: 100 output tokens at $0.6 per 1M each, plus a few prompt tokens.
    expect(summary.cost_unknown.worst_case_usd).toBeGreaterThan(2 * 100 * 0.6e-6);
    expect(summary.cost_unknown.worst_case_usd).toBeLessThan(2 * (100 * 0.6e-6 + 50 * 0.15e-6));
  });

  it("coordinates concurrent calls with its own limit and gives each a unique id", async () => {
    const s = new Echo(echo(5), { concurrency: 3 });
    const results = await Promise.all(Array.from({ length: 20 }, (_, i) => s.ask(`q${i}`)));
    expect(results.every((r) => r.ok)).toBe(true);
    expect(results.map((r) => r.output)).toEqual(Array.from({ length: 20 }, (_, i) => `echo q${i}`));
    expect(new Set(results.map((r) => r.id)).size).toBe(20);
    expect(s.fake.maxInFlight).toBe(3);
    expect(results[0]!.cost_usd).toBeGreaterThan(0);
  });

  it("sends prompts as written (no templating), with the system message first and the service's params", async () => {
    const s = new Echo(echo(), { params: { temperature: 0.2, max_tokens: 50 } });
    const r = await s.ask({ system: "be brief", prompt: "literal {{braces}}", params: { max_tokens: 9 } });
    expect(r.output).toBe("echo literal {{braces}}");
    const sent: LlmRequest = s.fake.requests[0]!;
    expect(sent.messages).toEqual([
      { role: "system", content: "be brief" },
      { role: "user", content: "literal {{braces}}" },
    ]);
    expect(sent.params).toEqual({ temperature: 0.2, max_tokens: 9 });
    expect(sent.model).toBe("gpt-4o-mini");
  });

  it("validates structured output and repairs it, like a pipeline step", async () => {
    let n = 0;
    const s = new Echo(new FakeProvider(async () => reply(++n === 1 ? '{"n": "x"}' : '{"n": 2}')));
    const r = await s.ask({ prompt: "count", schema: { type: "object", properties: { n: { type: "number" } } } });
    expect(r.output).toEqual({ n: 2 });
    expect(r.steps[0]!.repairs).toBe(1);
  });

  it("stops sending after a fatal error, and close() waits, flushes the summary once, and refuses new calls", async () => {
    const fake = new FakeProvider(async (prompt: string): Promise<LlmResponse> => {
      if (prompt === "bad key") throw new ProviderError({ type: "auth", message: "401", status: 401 });
      return reply("fine", 10);
    });
    const flushed: RunSummary[] = [];
    const s = new Echo(fake, { onClose: (summary) => void flushed.push(summary) });
    const slow = s.ask("slow");
    expect((await s.ask("bad key")).error!.type).toBe("auth");
    expect((await s.ask("after")).error!.type).toBe("not_attempted");
    expect((await slow).ok).toBe(true);
    const summary = await s.close();
    await s.close();
    expect(flushed).toEqual([summary]);
    expect(summary).toMatchObject({ records: 3, ok: 1, failed: 1, not_attempted: 1, exit_code: 3 });
    expect(summary.stopped_reason).toMatch(/^fatal: auth/);
    expect((await s.ask("late")).error!.message).toMatch(/not attempted/);
    expect(fake.calls).toBe(2);
  });

  it("keeps the same live metrics as a CLI run: failed attempts, errors by type and cost", async () => {
    const s = new Echo(new FakeProvider(async (p) => (p === "boom" ? Promise.reject(new ProviderError({ type: "bad_request", message: "no", status: 400 })) : reply(p))));
    const ok = await s.ask("fine");
    await s.ask("boom");
    const m = s.metrics.snapshot();
    expect(m).toMatchObject({ done: 2, ok: 1, errors: 1, requestsStarted: 2, errorsByType: { bad_request: 1 } });
    expect(m.errorsPerMin).toBeGreaterThan(0);
    expect(m.costUsd).toBeCloseTo(ok.cost_usd ?? Number.NaN, 12);
    expect(m.costUsd).toBeGreaterThan(0);
  });
});

describe("result helpers", () => {
  it("mapResult maps outputs of successes, passes failures through, and turns a throw into a failed result", async () => {
    const s = new Echo(new FakeProvider(async (p) => (p === "boom" ? Promise.reject(new ProviderError({ type: "bad_request", message: "no", status: 400 })) : reply(p))));
    const ok = await mapResult<string, number>(await s.ask("abc"), (o) => o.length);
    expect(ok.output).toBe(3);
    const failed = await s.ask("boom");
    expect(await mapResult(failed, () => 1)).toBe(failed);
    const thrown = await mapResult(await s.ask("x"), () => {
      throw new Error("parse failed");
    });
    expect(thrown).toMatchObject({ ok: false, error: { type: "pipeline_step", message: "mapResult: parse failed" } });
    expect("output" in thrown).toBe(false);
    expect(unwrap(ok)).toBe(3);
    expect(() => unwrap(failed)).toThrow(ResultFailedError);
    const collected = await collectResults([s.ask("a"), s.ask("boom"), s.ask("b")]);
    expect(collected.outputs.map((o) => o.output)).toEqual(["a", "b"]);
    expect(collected.errors.map((e) => e.error.type)).toEqual(["bad_request"]);
  });
});

describe("BaseLLMService gates", () => {
  it("learns the provider's limits from its rate-limit headers, as a CLI run's gates do", async () => {
    const fake = new FakeProvider(async () => ({ ...(await reply("ok")), rateLimits: { limitRequests: 600, limitTokens: 90_000, remainingRequests: 599, remainingTokens: 89_000 } }));
    const s = new Echo(fake);
    expect(s.quotas.list()).toEqual([]);
    expect((await s.ask("hello")).ok).toBe(true);
    expect(s.quotas.list()[0]!.gauges()).toMatchObject({ rpm: 600, tpm: 90_000, rpmLearned: true, tpmLearned: true });
    await s.close();
  });
});
