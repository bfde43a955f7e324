/**
 * `GenerationResult` is a union on `ok`: a failed result always has its `error`, a successful one
 * its `output`. Part of this file is checked by the type checker (`npm run typecheck`): the
 * `@ts-expect-error` lines must stay errors, and the narrowed reads must compile without `?.`.
 */
import { describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { ProviderError } from "../../src/errors.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import { collectResults, mapResult, ResultFailedError, unwrap } from "../../src/service/results.js";
import { emptyBackoff, emptyUsage, failedResult, type ErrorType, type FailedResult, type GenerationResult, type OkResult, type StepResult } from "../../src/types.js";
import { yaml } from "../config/helpers.js";
import { collect, FakeProvider, reply } from "../engine/fake-provider.js";

/** Reads a failed result's error type with no fallback: it compiles only because `error` is required there. */
const errorType = (r: GenerationResult): ErrorType | undefined => (r.ok ? undefined : r.error.type);
const stepError = (s: StepResult): string | undefined => (s.ok ? undefined : s.error.message);

const common = { id: "1", usage: emptyUsage(), cost_usd: 0, attempts: 1, backoff: emptyBackoff(), latency_ms: 1, steps: [] };

describe("GenerationResult as a union on ok", () => {
  it("rejects a failed result without an error and a successful one without an output (type check)", () => {
    // @ts-expect-error a failed result must say why
    const noError: FailedResult = { ...common, ok: false };
    // @ts-expect-error a successful result must carry its output (null when the step gave none)
    const noOutput: OkResult = { ...common, ok: true };
    // @ts-expect-error a failed result has no output
    const both: GenerationResult = { ...common, ok: false, error: { type: "timeout", message: "t", retriable: true }, output: "x" };
    // @ts-expect-error a failed step must say why
    const step: StepResult = { id: "s", ok: false, ms: 1 };
    expect([noError, noOutput, both, step].map((r) => r.ok)).toEqual([false, true, false, false]);
  });

  it("gives every failed record and failed step of a run its error, and every successful one its output", async () => {
    const provider = new FakeProvider((prompt) => (prompt.includes("bad") ? Promise.reject(new ProviderError({ type: "bad_request", message: "refused", status: 400 })) : reply(`echo ${prompt}`)));
    const pipeline = parsePipeline(yaml("name: t", "steps:", "  - {id: g, method: generate, prompt: '{{text}}'}"), "t.yaml");
    const engine = new GenerationEngine({ pipeline, provider: () => provider, prices: loadPriceTable(), retryTiming: { baseMs: 1, maxMs: 2 }, ordered: true });
    const results = await collect(
      engine.run([
        { id: "a", line: 1, vars: { text: "good" } },
        { id: "b", line: 2, vars: { text: "bad" } },
      ]),
    );
    expect(results.map(errorType)).toEqual([undefined, "bad_request"]);
    expect(results.map((r) => r.steps.map(stepError))).toEqual([[undefined], [expect.stringContaining("refused")]]);
    expect(results[0]).toMatchObject({ ok: true, output: "echo good" });
    expect("output" in results[1]!).toBe(false);
    // Key order is part of the output contract (steps are written as they are): unchanged by the union.
    expect(Object.keys(results[0]!)).toEqual(["id", "ok", "model", "provider", "usage", "cost_usd", "attempts", "backoff", "latency_ms", "steps", "output", "finish_reason"]);
    expect(Object.keys(results[1]!)).toEqual(["id", "ok", "model", "provider", "usage", "cost_usd", "attempts", "backoff", "latency_ms", "steps", "error"]);
    expect(Object.keys(results[0]!.steps[0]!)).toEqual(["id", "ok", "ms", "model", "usage", "cost_usd", "attempts", "output", "finish_reason"]);
    expect(Object.keys(results[1]!.steps[0]!)).toEqual(["id", "ok", "ms", "model", "usage", "cost_usd", "attempts", "error"]);
  });

  it("names the failed result's own error in unwrap, collectResults and a throwing mapResult", async () => {
    const failed = failedResult("r-1", { type: "timeout", message: "timed out after 2 attempts", retriable: true });
    expect(() => unwrap(failed)).toThrow(new ResultFailedError(failed));
    expect(() => unwrap(failed)).toThrow("r-1: timeout: timed out after 2 attempts");
    const ok: GenerationResult = { ...common, ok: true, output: "x" };
    expect((await collectResults([ok, failed])).errors).toEqual([{ id: "r-1", error: failed.error }]);
    const mapped = await mapResult(ok, () => {
      throw new Error("no");
    });
    expect(mapped.ok).toBe(false);
    expect(errorType(mapped)).toBe("pipeline_step");
    expect("output" in mapped).toBe(false);
  });
});
