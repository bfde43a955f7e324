import { describe, expect, it } from "vitest";
import { BudgetExceededError, BudgetGate } from "../../src/cost/budget-gate.js";
import { FakeClock } from "../../src/gates/clock.js";

describe("BudgetGate", () => {
  it("admits while spent + reserved stays within the cap, and returns the unused part of a hold", async () => {
    const g = new BudgetGate({ maxUsd: 1, clock: new FakeClock() });
    const a = await g.acquire(0.6);
    expect(g.reservedUsd).toBeCloseTo(0.6);
    g.settle(a.hold, 0.1); // worst case 0.6, really charged 0.1
    expect(g.spentUsd).toBeCloseTo(0.1);
    expect(g.reservedUsd).toBe(0);
    const b = await g.acquire(0.9);
    expect(b.waitedMs).toBe(0);
    expect(g.remainingUsd).toBeCloseTo(0);
  });

  it("makes a request wait, in arrival order, while holds in flight may free enough", async () => {
    const clock = new FakeClock();
    const g = new BudgetGate({ maxUsd: 1, clock });
    const first = await g.acquire(0.8);
    const order: string[] = [];
    const second = g.acquire(0.5).then((r) => (order.push("second"), r));
    const third = g.acquire(0.1).then((r) => (order.push("third"), r));
    await Promise.resolve();
    expect(g.waiting).toBe(2);
    expect(order).toEqual([]); // FIFO: the small third request does not jump the queue
    clock.advance(250);
    g.settle(first.hold, 0.2);
    const s = await second;
    await third;
    expect(order).toEqual(["second", "third"]);
    expect(s.waitedMs).toBe(250);
    expect(g.spentUsd + g.reservedUsd).toBeLessThanOrEqual(1 + 1e-12);
  });

  it("refuses the head once nothing in flight can free enough, then refuses everything after", async () => {
    const g = new BudgetGate({ maxUsd: 1, clock: new FakeClock() });
    const held = await g.acquire(0.7);
    const waiting = g.acquire(0.5);
    const later = g.acquire(0.01);
    g.settle(held.hold, 0.7); // fully spent: 0.3 left, the head needs 0.5
    await expect(waiting).rejects.toBeInstanceOf(BudgetExceededError);
    await expect(later).rejects.toThrow(/budget reached/);
    expect(g.exhausted).toBe(true);
    await expect(g.acquire(0.001)).rejects.toBeInstanceOf(BudgetExceededError);
  });

  it("refuses at once when nothing is in flight and the request does not fit", async () => {
    const g = new BudgetGate({ maxUsd: 0.001 });
    const err = await g.acquire(0.002).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(BudgetExceededError);
    expect((err as BudgetExceededError).neededUsd).toBe(0.002);
    expect((err as BudgetExceededError).limitUsd).toBe(0.001);
  });

  it("keeps a whole hold when settled with the hold itself, and ignores a second settle", async () => {
    const g = new BudgetGate({ maxUsd: 1 });
    const { hold } = await g.acquire(0.4);
    g.settle(hold, hold.usd);
    g.settle(hold, 0);
    expect(g.spentUsd).toBeCloseTo(0.4);
  });

  it("drops an aborted waiter from the queue", async () => {
    const g = new BudgetGate({ maxUsd: 1 });
    await g.acquire(0.9);
    const ac = new AbortController();
    const p = g.acquire(0.5, ac.signal);
    ac.abort(new Error("stop"));
    await expect(p).rejects.toThrow("stop");
    expect(g.waiting).toBe(0);
  });

  it("starts from what was spent before it (an earlier run on the same results file): only the rest is admitted", async () => {
    const g = new BudgetGate({ maxUsd: 1, spentUsd: 0.7, clock: new FakeClock() });
    expect(g.spentBeforeUsd).toBe(0.7);
    expect(g.remainingUsd).toBeCloseTo(0.3);
    const a = await g.acquire(0.25);
    const next = g.acquire(0.1); // waits: the hold in flight may free enough
    g.settle(a.hold, 0.25);
    expect(g.spentUsd).toBeCloseTo(0.95);
    await expect(next).rejects.toThrow(BudgetExceededError); // 0.7 + 0.25 + 0.1 would pass the cap
    const spentOut = new BudgetGate({ maxUsd: 1, spentUsd: 1, clock: new FakeClock() });
    await expect(spentOut.acquire(0.01)).rejects.toThrow("($1.0000 of it spent before this run)");
    expect(spentOut.exhausted).toBe(true);
    expect(() => new BudgetGate({ maxUsd: 1, spentUsd: -1 })).toThrow(RangeError);
  });
});
