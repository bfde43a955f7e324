import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";
import { flush } from "./helpers.js";
import { settleFailedReservation } from "../../src/engine/llm-call.js";
import { ProviderError } from "../../src/errors.js";

describe("TpmGate reconcile and release", () => {
  it("refunds an over-reservation, letting the next waiter in earlier", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock }); // 0.1 token/ms, capacity 100
    const { reservation } = await gate.acquire(100);
    const next = gate.acquire(60); // would need 600 ms of refill
    clock.advance(100); // level 10
    await flush();
    expect(gate.waiting).toBe(1);
    gate.reconcile(reservation, 40); // 60 back: level 70
    expect((await next).waitedMs).toBe(100);
    expect(gate.available).toBeCloseTo(10, 9);
  });

  it("charges a shortfall, delaying the next waiter", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    const { reservation } = await gate.acquire(50);
    gate.reconcile(reservation, 80); // 30 more: level 20
    expect(gate.available).toBeCloseTo(20, 9);
    const next = gate.acquire(50);
    clock.advance(299);
    await flush();
    expect(gate.waiting).toBe(1);
    clock.advance(1);
    expect((await next).waitedMs).toBe(300);
  });

  it("settles each reservation once, whichever of reconcile and release comes first", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    const a = (await gate.acquire(30)).reservation;
    const b = (await gate.acquire(30)).reservation;
    expect(gate.available).toBeCloseTo(40, 9);
    gate.reconcile(a, 10);
    gate.reconcile(a, 10);
    gate.release(a);
    expect(gate.available).toBeCloseTo(60, 9);
    gate.release(b);
    gate.release(b);
    gate.reconcile(b, 0);
    expect(gate.available).toBeCloseTo(90, 9);
  });

  it("caps refunds at capacity", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    const { reservation } = await gate.acquire(5000);
    clock.advance(60_000); // fully refilled
    gate.release(reservation);
    expect(gate.available).toBe(100);
  });

  it("ignores a reservation from another gate", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    const other = new TpmGate({ limit: 6000, clock });
    const { reservation } = await other.acquire(80);
    await gate.acquire(50);
    gate.release(reservation);
    expect(gate.available).toBeCloseTo(50, 9);
  });
});

describe("a failed attempt's reservation", () => {
  const settle = async (error: ProviderError) => {
    const gate = new TpmGate({ limit: 6000, clock: new FakeClock() }); // capacity 100
    const { reservation } = await gate.acquire(100);
    settleFailedReservation(gate, reservation, error, 30);
    return gate.available;
  };

  it("is given back whole when nothing can have been charged: a 429, a refused connection, a cancel", async () => {
    expect(await settle(new ProviderError({ type: "rate_limit", status: 429, message: "slow down" }))).toBeCloseTo(100, 9);
    expect(await settle(new ProviderError({ type: "network", code: "ECONNREFUSED", message: "connect ECONNREFUSED" }))).toBeCloseTo(100, 9);
    expect(await settle(new ProviderError({ type: "network", code: "ENOTFOUND", message: "getaddrinfo ENOTFOUND" }))).toBeCloseTo(100, 9);
    expect(await settle(new ProviderError({ type: "cancelled", message: "request cancelled" }))).toBeCloseTo(100, 9);
  });

  it("keeps the prompt's tokens when the server may have admitted it: a reset, a 500, a timeout", async () => {
    expect(await settle(new ProviderError({ type: "network", code: "ECONNRESET", message: "socket hang up" }))).toBeCloseTo(70, 9);
    expect(await settle(new ProviderError({ type: "network", message: "fetch failed" }))).toBeCloseTo(70, 9);
    expect(await settle(new ProviderError({ type: "server", status: 500, message: "boom" }))).toBeCloseTo(70, 9);
    expect(await settle(new ProviderError({ type: "timeout", message: "request timed out" }))).toBeCloseTo(70, 9);
  });
});
