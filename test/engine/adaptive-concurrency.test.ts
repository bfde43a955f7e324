import { describe, it, expect } from "vitest";
import { AdaptiveConcurrency, congestionOf } from "../../src/engine/adaptive-concurrency.js";

/**
 * A server with `slots` parallel slots, driven in rounds: every admitted request either runs (free)
 * or waits in the queue (queued). The limit must settle at the slot count, or one above it.
 */
async function settle(slots: number, max: number, rounds: number): Promise<number[]> {
  const limiter = new AdaptiveConcurrency(max);
  const limits: number[] = [];
  for (let round = 0; round < rounds; round++) {
    const tickets = await Promise.all(Array.from({ length: limiter.limit }, () => limiter.acquire()));
    tickets.forEach((ticket, i) => limiter.release(ticket, i < slots ? "free" : "queued"));
    limits.push(limiter.limit);
  }
  return limits;
}

describe("AdaptiveConcurrency", () => {
  it("grows from 1 and settles at the server's parallelism (or one above), never above max", async () => {
    const limits = await settle(4, 64, 40);
    expect(limits[0]).toBe(2); // slow start
    expect(Math.max(...limits.slice(10))).toBeLessThanOrEqual(5);
    expect(Math.min(...limits.slice(10))).toBeGreaterThanOrEqual(4);
    expect(Math.max(...(await settle(100, 8, 20)))).toBe(8);
  });

  it("halves on a 503 and admits waiters in arrival order", async () => {
    const limiter = new AdaptiveConcurrency(16);
    for (let i = 0; i < 3; i++) limiter.release(await limiter.acquire(), "free");
    expect(limiter.limit).toBe(4);
    const t = await limiter.acquire();
    limiter.release(t, "busy");
    expect(limiter.limit).toBe(2);
    const order: number[] = [];
    const held = [await limiter.acquire(), await limiter.acquire()];
    const waiting = [1, 2, 3].map((n) => limiter.acquire().then((ticket) => (order.push(n), ticket)));
    for (const h of held) limiter.release(h, "none");
    limiter.release(await waiting[0]!, "none");
    await Promise.all(waiting);
    expect(order).toEqual([1, 2, 3]);
  });

  it("reads the server's queue wait: queued above a tenth of the service time", () => {
    const base = { text: "", finishReason: "stop", usage: { input_tokens: 1, output_tokens: 1, cached_tokens: 0 }, model: "m" };
    expect(congestionOf({ ...base, serverQueueMs: 0.3 }, 250)).toBe("free");
    expect(congestionOf({ ...base, serverQueueMs: 120 }, 370)).toBe("queued");
    expect(congestionOf(base, 250)).toBe("none");
  });
});
