import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";

describe("gate setLimit", () => {
  it("lowering a limit clamps the level to the new capacity and slows the pace", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 6000, clock }); // capacity 100
    gate.setLimit(600); // capacity 10, one per 100 ms
    expect(gate.limit).toBe(600);
    expect(gate.available).toBe(10);
    const waits = await Promise.all(
      Array.from({ length: 12 }, () => gate.acquire()).map(async (p, i) => {
        if (i === 11) clock.advance(200);
        return (await p).waitedMs;
      }),
    );
    expect(waits).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 100, 200]);
  });

  it("raising a limit admits waiters sooner", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 60, clock });
    await gate.acquire();
    const p = gate.acquire(); // 1000 ms at 60 RPM
    gate.setLimit(600); // 100 ms now
    clock.advance(100);
    expect((await p).waitedMs).toBe(100);
  });

  it("going unlimited releases every waiter; going limited starts with a full bucket", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 60, clock });
    await gate.acquire();
    const waiting = Promise.all([gate.acquire(), gate.acquire()]);
    gate.setLimit(undefined);
    expect((await waiting).map((a) => a.waitedMs)).toEqual([1, 1]);
    expect(clock.pending()).toBe(0);
    gate.setLimit(120); // capacity 2
    expect(gate.available).toBe(2);
  });

  it("rejects a non-positive limit", () => {
    const gate = new RpmGate({ clock: new FakeClock() });
    expect(() => gate.setLimit(0)).toThrow(RangeError);
    expect(() => new RpmGate({ limit: Number.NaN })).toThrow(RangeError);
    expect(() => new RpmGate({ limit: 10, burstSeconds: 0 })).toThrow(RangeError);
  });
});
