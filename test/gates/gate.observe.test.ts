import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";

/** What a server with the same bucket reports: per-minute scale, floored (simulator, OpenAI). */
function remainingFor(limit: number, capacity: number, serverLevel: number): number {
  return Math.max(0, Math.floor(limit - (capacity - serverLevel)));
}

describe("gate observe (x-ratelimit-* headers)", () => {
  it("lowers the level to the server's, read from the per-minute remaining", () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 6000, clock }); // capacity 100
    gate.observe({ limitRequests: 6000, remainingRequests: remainingFor(6000, 100, 10) });
    // The server may hold up to 1 more than its floored header says: that 1 is granted.
    expect(gate.available).toBe(11);
    expect(gate.learnedLimit).toBe(6000);
  });

  it("records the server's limit without applying it", () => {
    const gate = new RpmGate({ limit: 6000, clock: new FakeClock() });
    gate.observe({ limitRequests: 5000, remainingRequests: 5000 });
    expect(gate.learnedLimit).toBe(5000);
    expect(gate.limit).toBe(6000);
    expect(gate.available).toBe(100);
  });

  it("never raises the level", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    await gate.acquire(80);
    gate.observe({ limitTokens: 6000, remainingTokens: 6000 });
    gate.observe({ limitTokens: 150_000, remainingTokens: 149_984 });
    expect(gate.available).toBeCloseTo(20, 9);
  });

  it("changes nothing when the headers are absent or incomplete", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 6000, clock });
    await gate.acquire();
    gate.observe({});
    gate.observe({ retryAfterMs: 5000, resetRequestsMs: 10 });
    gate.observe({ remainingRequests: 0 }); // no limit header: no scale to read it on
    expect(gate.available).toBe(99);
    expect(gate.learnedLimit).toBeUndefined();
    expect(clock.pending()).toBe(0);
  });

  it("does not charge in-flight requests twice", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock }); // capacity 100
    await gate.acquire(40);
    await gate.acquire(40); // level 20; both in flight
    // The server has charged both too and reports after that: our level must stay 20, not 20 - 80.
    const headers = { limitTokens: 6000, remainingTokens: remainingFor(6000, 100, 20) };
    gate.observe(headers);
    gate.observe(headers); // the second response carries the same state
    expect(gate.available).toBeCloseTo(20, 9);
    // Another client spent 15 meanwhile: exactly that difference is applied (with the 1 of slack).
    gate.observe({ limitTokens: 6000, remainingTokens: remainingFor(6000, 100, 5) });
    expect(gate.available).toBeCloseTo(6, 9);
  });

  it("takes back a refund the server did not give when reconcile comes first", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    const { reservation } = await gate.acquire(90); // server charged 90 as well: level 10
    gate.reconcile(reservation, 30); // we refund 60: level 70
    gate.observe({ limitTokens: 6000, remainingTokens: remainingFor(6000, 100, 10) });
    expect(gate.available).toBeCloseTo(11, 9);
  });
});
