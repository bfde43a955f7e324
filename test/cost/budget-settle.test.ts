import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/errors.js";
import { billUnknown, settleBudget, type BudgetContext } from "../../src/cost/budget.js";
import { BudgetGate } from "../../src/cost/budget-gate.js";
import { FakeClock } from "../../src/gates/clock.js";

const price = { input: 0.15, cached_input: 0.075, output: 0.6 };

async function settled(error: ProviderError): Promise<number> {
  const gate = new BudgetGate({ maxUsd: 1, clock: new FakeClock() });
  const ctx: BudgetContext = { gate, priceOf: () => price };
  const { hold } = await gate.acquire(0.01);
  settleBudget(ctx, { hold, price, waitedMs: 0 }, { error });
  return gate.spentUsd;
}

describe("what a failed attempt is charged under --max-cost", () => {
  it("keeps the whole hold only when the bill is unknown: the server may have done the work", async () => {
    const timeout = new ProviderError({ type: "timeout", message: "timed out" });
    const cancelled = new ProviderError({ type: "cancelled", message: "request cancelled" });
    const reset = new ProviderError({ type: "network", message: "socket hang up", code: "ECONNRESET" });
    for (const e of [timeout, cancelled, reset]) {
      expect(billUnknown(e)).toBe(true);
      expect(await settled(e)).toBe(0.01);
    }
  });

  it("charges nothing for an HTTP error status or a connection that was never made", async () => {
    const refused = new ProviderError({ type: "network", message: "connect ECONNREFUSED", code: "ECONNREFUSED" });
    const server = new ProviderError({ type: "server", message: "500", status: 500 });
    for (const e of [refused, server]) {
      expect(billUnknown(e)).toBe(false);
      expect(await settled(e)).toBe(0);
    }
  });

  it("charges the usage a failed attempt carries (a content filter stop)", async () => {
    const filtered = new ProviderError({ type: "content_filter", message: "filtered", usage: { input_tokens: 1000, output_tokens: 1000, cached_tokens: 0 } });
    expect(billUnknown(filtered)).toBe(false);
    expect(await settled(filtered)).toBeCloseTo((1000 * 0.15 + 1000 * 0.6) / 1e6, 12);
  });
});
