import { describe, expect, it } from "vitest";
import { TokenBucket } from "../../src/simulator/token-bucket.js";

function clock() {
  let now = 0;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe("TokenBucket", () => {
  it("holds limit × burstSeconds / 60 and refills at limit / 60 per second", () => {
    const time = clock();
    const bucket = new TokenBucket(6000, 1, time.now);
    expect(bucket.capacity).toBe(100);
    for (let i = 0; i < 100; i++) {
      expect(bucket.canTake(1)).toBe(true);
      bucket.take(1);
    }
    expect(bucket.canTake(1)).toBe(false);
    expect(bucket.waitMs(1)).toBeCloseTo(10);
    time.advance(10);
    expect(bucket.canTake(1)).toBe(true);
  });

  it("admits a cost above capacity when full, then carries the debt", () => {
    const time = clock();
    const bucket = new TokenBucket(600, 1, time.now); // capacity 10, 10 per second
    expect(bucket.canTake(25)).toBe(true);
    bucket.take(25);
    expect(bucket.available()).toBe(-15);
    expect(bucket.canTake(1)).toBe(false);
    expect(bucket.waitMs(1)).toBeCloseTo(1600);
    time.advance(2500);
    expect(bucket.available()).toBe(10); // capped at capacity
  });

  it("reports remaining on the per-minute scale and reset as time to full", () => {
    const time = clock();
    const bucket = new TokenBucket(6000, 1, time.now);
    bucket.take(1);
    expect(bucket.remaining()).toBe(5999);
    expect(bucket.resetMs()).toBeCloseTo(10);
    bucket.take(99);
    expect(bucket.remaining()).toBe(5900);
    expect(bucket.resetMs()).toBeCloseTo(1000);
  });
});
