import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { SummaryBuilder } from "../../src/metrics/summary.js";
import { emptyBackoff, emptyUsage } from "../../src/types.js";
import type { ErrorType, GenerationResult, StepResult } from "../../src/types.js";

function ok(id: string, model: string, cost: number | null, latency: number, steps?: StepResult[]): GenerationResult {
  return {
    id,
    ok: true,
    output: "x",
    model,
    provider: "openai",
    usage: { input_tokens: 100, output_tokens: 20, cached_tokens: 10 },
    cost_usd: cost,
    attempts: 1,
    backoff: { ...emptyBackoff(), rpm_waits: 1, rpm_wait_ms: 30, retries: 0 },
    latency_ms: latency,
    steps: steps ?? [{ id: "main", ok: true, ms: latency, model, cost_usd: cost, attempts: 1 }],
  };
}

function failed(id: string, type: ErrorType, attempts: number): GenerationResult {
  return {
    id,
    ok: false,
    error: { type, message: type, retriable: false },
    usage: emptyUsage(),
    cost_usd: 0,
    attempts,
    backoff: { ...emptyBackoff(), retries: attempts > 1 ? attempts - 1 : 0, retry_wait_ms: attempts > 1 ? 1500 : 0 },
    latency_ms: attempts > 0 ? 5000 : 0,
    steps: [],
  };
}

const CONTRACT_KEYS = [
  "records",
  "ok",
  "failed",
  "not_attempted",
  "usage",
  "cost_usd",
  "cost_by_model",
  "unpriced_models",
  "usage_by_model",
  "backoff",
  "errors_by_type",
  "latency_ms",
  "wall_ms",
  "throughput_rpm",
  "exit_code",
  "attempts",
  "invalid_input",
  "skipped",
  "cost_by_step",
  "started_at",
  "finished_at",
  "stopped_reason",
  "latency_ms_by_step",
  "wait_ms",
  "budget",
  "cache",
  "unwritten",
  "in_flight_at_stop",
  "cost_unknown",
  "truncated",
  "truncated_by_step",
  "quotas",
];

describe("SummaryBuilder", () => {
  it("produces exactly the public keys", () => {
    const s = new SummaryBuilder(new FakeClock()).build({ exitCode: 0, stoppedReason: null });
    expect(Object.keys(s).sort()).toEqual([...CONTRACT_KEYS].sort());
    expect(Object.keys(s.usage).sort()).toEqual(["cached_tokens", "input_tokens", "output_tokens"]);
    expect(Object.keys(s.backoff).sort()).toEqual(["retries", "retry_wait_ms", "rpm_wait_ms", "rpm_waits", "tpm_wait_ms", "tpm_waits"]);
    expect(Object.keys(s.latency_ms).sort()).toEqual(["max", "p50", "p90", "p99"]);
    expect(s.latency_ms).toEqual({ p50: 0, p90: 0, p99: 0, max: 0 });
    expect(s.throughput_rpm).toBe(0);
    expect(s.latency_ms_by_step).toEqual({});
    expect(s.wait_ms).toEqual({ gates_ms: 0, rpm_ms: 0, tpm_ms: 0, budget_ms: 0, retry_ms: 0 });
    expect(s.budget).toBeNull();
    expect(s.cache).toBeNull();
  });

  it("counts the cache's hits and misses and sums what the records saved; a hit step's tokens are not billed usage", () => {
    const b = new SummaryBuilder(new FakeClock());
    const usage = { input_tokens: 10, output_tokens: 5, cached_tokens: 0 };
    const step = { id: "s", ok: true as const, ms: 0, model: "m", usage, cost_usd: 0, attempts: 0, cached: true as const, saved_usd: 0.25 };
    const hit = {
      id: "1",
      ok: true as const,
      output: "x",
      usage: { input_tokens: 0, output_tokens: 0, cached_tokens: 0 },
      cost_usd: 0,
      saved_usd: 0.25,
      attempts: 0,
      backoff: emptyBackoff(),
      latency_ms: 0,
      steps: [step],
    };
    b.add(hit);
    b.add({ ...hit, id: "2", saved_usd: 0.5 });
    const s = b.build({ exitCode: 0, stoppedReason: null, cache: { hits: 2, misses: 7 } });
    expect(s.cache).toEqual({ hits: 2, misses: 7, saved_usd: 0.75 });
    expect(s.cost_usd).toBe(0);
    expect(s.usage_by_model).toEqual({});
  });

  it("gives latency percentiles per step, the wait split and the budget", () => {
    const b = new SummaryBuilder(new FakeClock());
    const steps = (draft: number, polish: number): StepResult[] => [
      { id: "draft", ok: true, ms: draft, model: "gpt-4o-mini", cost_usd: 0.1, attempts: 1 },
      { id: "polish", ok: true, ms: polish, model: "gpt-4o", cost_usd: 0.2, attempts: 1 },
    ];
    for (let i = 1; i <= 100; i++) {
      const r = ok(String(i), "gpt-4o", 0.3, 10 * i + 1000, steps(10 * i, 1000));
      r.backoff = { ...emptyBackoff(), rpm_wait_ms: 5, tpm_wait_ms: 7, retry_wait_ms: 100, budget_waits: 1, budget_wait_ms: 3 };
      b.add(r);
    }
    const s = b.build({ exitCode: 1, stoppedReason: "budget reached", budget: { max_cost_usd: 31, spent_usd: 30, spent_before_usd: 0, exhausted: true } });
    expect(Object.keys(s.latency_ms_by_step)).toEqual(["draft", "polish"]);
    expect(Math.abs(s.latency_ms_by_step.draft!.p50 - 500) / 500).toBeLessThanOrEqual(0.01);
    expect(s.latency_ms_by_step.draft!.max).toBe(1000);
    expect(s.latency_ms_by_step.polish).toEqual({ p50: 1000, p90: 1000, p99: 1000, max: 1000 });
    expect(s.wait_ms).toEqual({ gates_ms: 1500, rpm_ms: 500, tpm_ms: 700, budget_ms: 300, retry_ms: 10_000 });
    expect(s.backoff.budget_waits).toBe(100);
    expect(s.budget).toEqual({ max_cost_usd: 31, spent_usd: 30, spent_before_usd: 0, exhausted: true });
  });

  it("adds up records, usage, costs, errors and backoff", () => {
    const clock = new FakeClock();
    const b = new SummaryBuilder(clock, new Date("2026-01-01T00:00:00.000Z"));
    b.add(ok("1", "gpt-4o-mini", 0.1, 800));
    b.add(ok("2", "gpt-4o-mini", 0.2, 1200));
    b.add(ok("3", "my-local-model", null, 400, [{ id: "local", ok: true, ms: 400, model: "my-local-model", cost_usd: null, attempts: 1 }]));
    b.add(
      ok("4", "gpt-4o", 0.3, 2000, [
        { id: "draft", ok: true, ms: 900, model: "gpt-4o-mini", cost_usd: 0.1, attempts: 1 },
        { id: "polish", ok: true, ms: 1100, model: "gpt-4o", cost_usd: 0.2, attempts: 1 },
        { id: "format", ok: true, ms: 0 }, // not an LLM step
      ]),
    );
    b.add(failed("5", "timeout", 3));
    b.add(failed("6", "invalid_input", 0));
    b.add(failed("7", "not_attempted", 0));
    b.add(failed("8", "budget_exceeded", 0));
    b.add(failed("9", "timeout", 1));
    clock.advance(90_000);
    const s = b.build({ exitCode: 1, stoppedReason: null });

    expect(s.records).toBe(9);
    expect(s.ok).toBe(4);
    expect(s.not_attempted).toBe(2);
    expect(s.failed).toBe(3); // 2 timeouts + 1 invalid_input
    expect(s.invalid_input).toBe(1);
    expect(s.attempts).toBe(4 + 3 + 1);
    expect(s.usage).toEqual({ input_tokens: 400, output_tokens: 80, cached_tokens: 40 });
    expect(s.cost_usd).toBeNull(); // an unpriced model answered: the total is not known
    expect(s.cost_by_model).toEqual({ "gpt-4o": 0.2, "gpt-4o-mini": 0.4, "my-local-model": null }); // 0.1 + 0.2 + 0.1: no float noise
    expect(Object.keys(s.cost_by_model)).toEqual(["gpt-4o", "gpt-4o-mini", "my-local-model"]);
    expect(s.cost_by_step).toEqual({ draft: 0.1, local: null, main: 0.3, polish: 0.2 });
    expect(s.unpriced_models).toEqual(["my-local-model"]);
    expect(s.errors_by_type).toEqual({ budget_exceeded: 1, invalid_input: 1, not_attempted: 1, timeout: 2 });
    expect(s.backoff).toEqual({
      rpm_waits: 4,
      rpm_wait_ms: 120,
      tpm_waits: 0,
      tpm_wait_ms: 0,
      retries: 2,
      retry_wait_ms: 1500,
    });
    // Latency over the 6 attempted records: 400, 800, 1200, 2000, 5000, 5000.
    expect(s.latency_ms.max).toBe(5000);
    expect(Math.abs(s.latency_ms.p50 - 1200) / 1200).toBeLessThanOrEqual(0.01);
    expect(s.latency_ms.p99).toBe(5000);
    expect(s.wall_ms).toBe(90_000);
    expect(s.throughput_rpm).toBe(4); // 6 attempted in 1.5 min
    expect(s.started_at).toBe("2026-01-01T00:00:00.000Z");
    expect(s.finished_at).toBe("2026-01-01T00:01:30.000Z");
    expect(s.exit_code).toBe(1);
    expect(s.stopped_reason).toBeNull();
  });

  it("deduplicates unpriced models and takes wallMs and the stop reason from build", () => {
    const b = new SummaryBuilder(new FakeClock());
    b.add(ok("1", "llama3.2", null, 100));
    b.add(ok("2", "llama3.2", null, 100));
    b.add(ok("3", "aardvark", null, 100));
    const s = b.build({ exitCode: 3, stoppedReason: "fatal: auth", wallMs: 1234.6 });
    expect(s.unpriced_models).toEqual(["aardvark", "llama3.2"]);
    expect(s.cost_usd).toBeNull();
    expect(s.wall_ms).toBe(1235);
    expect(s.throughput_rpm).toBe(145.7); // 3 per 1235 ms (the reported wall_ms), per minute
    expect(s.stopped_reason).toBe("fatal: auth");
    expect(s.exit_code).toBe(3);
  });

  it("an unpriced model's cost is null once it answered, 0 while nothing was billed; its tokens are kept per model", () => {
    const b = new SummaryBuilder(new FakeClock());
    const step = (id: string, model: string, cost: number | null, input: number): StepResult => ({
      id,
      ...(cost !== 0 ? { ok: true } : { ok: false, error: { type: "bad_request", message: "refused", retriable: false } }),
      ms: 10,
      model,
      cost_usd: cost,
      attempts: 1,
      usage: { input_tokens: input, output_tokens: 5, cached_tokens: 0 },
    });
    b.add(ok("1", "gpt-4o-mini", 0.25, 10, [step("s", "gpt-4o-mini", 0.25, 100)]));
    b.add(ok("2", "tiny", 0, 10, [step("t", "tiny", 0, 0)])); // refused: nothing billed
    let s = b.build({ exitCode: 1, stoppedReason: null });
    expect(s).toMatchObject({ cost_usd: 0.25, cost_by_model: { "gpt-4o-mini": 0.25, tiny: 0 }, cost_by_step: { s: 0.25, t: 0 }, unpriced_models: [] });
    b.add(ok("3", "tiny", null, 10, [step("t", "tiny", null, 40)]));
    b.add(ok("4", "tiny", 0, 10, [step("t", "tiny", 0, 0)]));
    s = b.build({ exitCode: 1, stoppedReason: null });
    expect(s).toMatchObject({ cost_usd: null, cost_by_model: { "gpt-4o-mini": 0.25, tiny: null }, cost_by_step: { s: 0.25, t: null }, unpriced_models: ["tiny"] });
    expect(s.usage_by_model).toEqual({
      "gpt-4o-mini": { input_tokens: 100, output_tokens: 5, cached_tokens: 0 },
      tiny: { input_tokens: 40, output_tokens: 15, cached_tokens: 0 },
    });
  });

  it("rounds cost sums to 1e-9", () => {
    const b = new SummaryBuilder(new FakeClock());
    for (let i = 0; i < 10; i++) b.add(ok(String(i), "gpt-4o-mini", 0.0000468, 10));
    const s = b.build({ exitCode: 0, stoppedReason: null, wallMs: 1000 });
    expect(s.cost_usd).toBe(0.000468);
    expect(s.cost_by_model["gpt-4o-mini"]).toBe(0.000468);
    expect(JSON.stringify(s)).toContain('"cost_usd":0.000468');
  });
});
