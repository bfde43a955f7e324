import { describe, expect, it } from "vitest";
import { main } from "../../samples/ticket-service.js";

describe("samples/ticket-service.ts (the library example)", () => {
  it("runs its two business methods against the simulator and flushes the summary on close", async () => {
    const run = await main(["Charged twice for INV-2291.", "The export button is broken.", "Add three seats, please.", "Password reset mail never arrives."]);
    expect(run.errors).toBe(0);
    expect(run.routes).toHaveLength(4);
    for (const r of run.routes) expect(r.output).toMatch(/^(urgent|normal)-(billing|bug|other)$/);
    expect(run.summaries.every((s) => typeof s.output === "string" && s.output.length > 0)).toBe(true);
    // Ids are unique per service: eight calls, eight ids.
    expect(new Set([...run.routes, ...run.summaries].map((r) => r.id)).size).toBe(8);
    expect(run.summary.records).toBe(8);
    expect(run.summary.ok).toBe(8);
    expect(Object.keys(run.summary.cost_by_step).sort()).toEqual(["summary", "triage"]);
    expect(run.summary.cost_usd).toBeGreaterThan(0);
  });
});
