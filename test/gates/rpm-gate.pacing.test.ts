import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { flush } from "./helpers.js";

describe("RpmGate pacing", () => {
  it("releases the first second's capacity at once, then one request every 10 ms at 6000 RPM", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 6000, clock });
    const waited: number[] = new Array<number>(1000);
    const all = Array.from({ length: 1000 }, (_, i) =>
      gate.acquire().then((a) => {
        waited[i] = a.waitedMs;
      }),
    );
    await flush();
    expect(gate.waiting).toBe(900);
    expect(clock.pending()).toBe(1);

    // After one more second only 100 more went out: a minute's quota is never released at once.
    clock.advance(1000);
    await flush();
    expect(gate.waiting).toBe(800);
    expect(clock.pending()).toBe(1);

    clock.advance(9000);
    await Promise.all(all);
    for (let k = 0; k < 100; k++) expect(waited[k]).toBe(0);
    // The k-th admission after the initial capacity comes k/100 s later.
    for (let k = 1; k <= 900; k++) expect(Math.abs(waited[99 + k]! - k * 10)).toBeLessThanOrEqual(1);
    expect(clock.pending()).toBe(0);
  });

  it("keeps exactly one timer however many requests wait", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 60, clock }); // 1 per second, capacity 1
    const all = Array.from({ length: 500 }, () => gate.acquire());
    for (let step = 0; step < 50; step++) {
      await flush();
      expect(clock.pending()).toBe(1);
      clock.advance(1000);
    }
    await flush();
    expect(gate.waiting).toBe(449);
    clock.advance(500_000);
    await Promise.all(all);
    expect(clock.pending()).toBe(0);
  });

  it("sizes the burst with burstSeconds", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 600, burstSeconds: 3, clock }); // 10/s, capacity 30
    const waited: number[] = [];
    const all = Array.from({ length: 40 }, () => gate.acquire().then((a) => waited.push(a.waitedMs)));
    await flush();
    expect(waited).toHaveLength(30);
    clock.advance(1000);
    await Promise.all(all);
    expect(waited.slice(30)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000]);
  });

  it("reports waitedMs 0 when admitted at once and >= 1 when it queued", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 60, clock });
    expect((await gate.acquire()).waitedMs).toBe(0);
    const second = gate.acquire();
    clock.advance(1000);
    expect((await second).waitedMs).toBe(1000);
  });
});
