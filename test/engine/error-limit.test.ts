import { describe, expect, it } from "vitest";
import { ErrorLimit, MAX_ERRORS_MIN_SAMPLE, parseMaxErrors } from "../../src/engine/error-limit.js";
import { UsageError } from "../../src/errors.js";
import { emptyBackoff, emptyUsage, type ErrorType, type GenerationResult } from "../../src/types.js";

const result = (ok: boolean, type: ErrorType = "server"): GenerationResult => ({
  id: "x",
  ...(ok ? { ok, output: "o" } : { ok, error: { type, message: "m", retriable: false } }),
  usage: emptyUsage(),
  cost_usd: 0,
  attempts: 1,
  backoff: emptyBackoff(),
  latency_ms: 1,
  steps: [],
});

describe("--max-errors", () => {
  it("parses a count or a percentage", () => {
    expect(parseMaxErrors("--max-errors", "25")).toEqual({ count: 25 });
    expect(parseMaxErrors("--max-errors", " 2.5% ")).toEqual({ percent: 2.5 });
    for (const bad of ["0", "0%", "101%", "-3", "ten", "1.5", "%", ""]) {
      expect(() => parseMaxErrors("--max-errors", bad)).toThrow(UsageError);
    }
  });

  it("counts failures for good, not records that were never tried or were cancelled", () => {
    const limit = new ErrorLimit({ count: 2 });
    expect(limit.add(result(false, "not_attempted"))).toBeUndefined();
    expect(limit.add(result(false, "budget_exceeded"))).toBeUndefined();
    expect(limit.add(result(false, "cancelled"))).toBeUndefined();
    expect(limit.add(result(false, "invalid_input"))).toBeUndefined();
    expect(limit.add(result(true))).toBeUndefined();
    expect(limit.add(result(false, "server"))).toBe("max_errors: 2 records failed (--max-errors 2)");
  });

  it("judges a percentage only after the minimum sample", () => {
    const limit = new ErrorLimit({ percent: 50 });
    for (let i = 1; i < MAX_ERRORS_MIN_SAMPLE; i++) expect(limit.add(result(false, "server"))).toBeUndefined();
    expect(limit.add(result(false, "server"))).toMatch(/20 of 20 records failed \(100%/);
  });
});
