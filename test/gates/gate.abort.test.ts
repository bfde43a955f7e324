import { describe, it, expect } from "vitest";
import { getEventListeners } from "node:events";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";
import { flush, track } from "./helpers.js";

describe("gate abort", () => {
  it("removes an aborted waiter from the middle without holding up the others", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 60, clock });
    await gate.acquire(); // bucket now empty
    const order: string[] = [];
    const ac = new AbortController();
    const a = track(order, "a", gate.acquire());
    const b = gate.acquire(ac.signal);
    const c = track(order, "c", gate.acquire());
    expect(gate.waiting).toBe(3);
    const reason = new Error("user cancelled");
    ac.abort(reason);
    await expect(b).rejects.toBe(reason);
    expect(gate.waiting).toBe(2);
    clock.advance(1000);
    await flush();
    expect(order).toEqual(["a"]);
    clock.advance(1000);
    await Promise.all([a, c]);
    expect(order).toEqual(["a", "c"]);
  });

  it("re-arms the single timer for the next head when the head aborts", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock }); // 0.1 token/ms, capacity 100
    await gate.acquire(100);
    const ac = new AbortController();
    const big = gate.acquire(100, ac.signal); // needs 1000 ms
    const small = gate.acquire(10); // needs 100 ms once it is the head
    expect(clock.pending()).toBe(1);
    clock.advance(50);
    ac.abort();
    await expect(big).rejects.toMatchObject({ name: "AbortError" });
    expect(clock.pending()).toBe(1);
    clock.advance(50);
    expect((await small).waitedMs).toBe(100);
    expect(clock.pending()).toBe(0);
  });

  it("rejects at once for an already aborted signal and never queues", async () => {
    const gate = new RpmGate({ limit: 60, clock: new FakeClock() });
    const ac = new AbortController();
    ac.abort(new Error("gone"));
    await expect(gate.acquire(ac.signal)).rejects.toThrow("gone");
    expect(gate.waiting).toBe(0);
  });

  it("removes its abort listener once the waiter is admitted", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 60, clock });
    await gate.acquire();
    const ac = new AbortController();
    const p = gate.acquire(ac.signal);
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(1);
    clock.advance(1000);
    await p;
    expect(getEventListeners(ac.signal, "abort")).toHaveLength(0);
    ac.abort(); // too late to matter
    expect(gate.waiting).toBe(0);
  });
});
