import { describe, expect, it } from "vitest";
import { groupDigits } from "../../src/metrics/number-format.js";

describe("groupDigits", () => {
  it("prints what toLocaleString('en-US') prints", () => {
    const values = [0, 1, 12, 999, 1000, 1234, 99_999, 100_000, 1_234_567, 291.1, 1234.5678, 0.0004, 0.0005, 12.3456, -1234.5, -0.0001, 1e15, 2 ** 31, 7.999_9];
    for (const v of values) expect(groupDigits(v), String(v)).toBe(v.toLocaleString("en-US"));
    for (const v of [1234.56, 999.5, 0.4, 1_000_000.49]) expect(groupDigits(v, 0), String(v)).toBe(v.toLocaleString("en-US", { maximumFractionDigits: 0 }));
  });

  it("passes non-finite values through", () => {
    expect(groupDigits(Number.NaN)).toBe("NaN");
    expect(groupDigits(Number.POSITIVE_INFINITY)).toBe("Infinity");
  });
});
