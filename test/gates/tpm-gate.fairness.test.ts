import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";
import { flush, track } from "./helpers.js";

describe("TpmGate fairness", () => {
  it("admits mixed sizes strictly in arrival order", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock }); // 100 tokens/s, capacity 100
    const order: string[] = [];
    const sizes = [100, 50, 10, 80, 5, 1, 99, 30];
    const all = sizes.map((n, i) => track(order, `${i}:${n}`, gate.acquire(n)));
    for (let t = 0; t < 5000; t += 7) {
      await flush();
      expect(clock.pending()).toBeLessThanOrEqual(1);
      clock.advance(7);
    }
    await Promise.all(all);
    expect(order).toEqual(sizes.map((n, i) => `${i}:${n}`));
  });

  it("does not starve a large request behind a stream of small ones", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 60_000, clock }); // 1000 tokens/s, capacity 1000
    const order: string[] = [];
    const pending: Array<Promise<unknown>> = [];
    let bigAdmittedAt = -1;
    // Small requests keep arriving every 5 ms, alone enough to use the whole refill.
    for (let i = 0; i < 5; i++) pending.push(track(order, `small${i}`, gate.acquire(5)));
    const big = gate.acquire(1000).then((a) => {
      order.push("big");
      bigAdmittedAt = clock.now();
      return a;
    });
    for (let i = 5; i < 400; i++) {
      pending.push(track(order, `small${i}`, gate.acquire(5)));
      await flush();
      clock.advance(5);
    }
    clock.advance(10_000);
    await Promise.all([big, ...pending]);
    const bigAt = order.indexOf("big");
    // Everything queued before it went first, nothing queued after it overtook it.
    expect(order.slice(0, bigAt)).toEqual(["small0", "small1", "small2", "small3", "small4"]);
    expect(order.slice(bigAt + 1)).toHaveLength(395);
    expect(bigAdmittedAt).toBeGreaterThan(0);
    expect((await big).waitedMs).toBe(25); // the 25 tokens the first five took, refilled at 1/ms
  });

  it("admits a request above capacity (but within the limit) from a full bucket, leaving debt", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock }); // capacity 100
    const first = await gate.acquire(3000);
    expect(first.waitedMs).toBe(0);
    expect(gate.available).toBe(-2900);
    const next = gate.acquire(10);
    clock.advance(29_000); // back to 0
    await flush();
    expect(gate.waiting).toBe(1);
    clock.advance(100); // 0 -> 10
    expect((await next).waitedMs).toBe(29_100);
  });
});
