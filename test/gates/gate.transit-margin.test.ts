import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";
import { TokenBucket } from "../../src/simulator/token-bucket.js";
import { flush } from "./helpers.js";

/**
 * Requests reach the server some time after the gate admits them. When that delay varies, the
 * server's bucket can sit full while a charge is in transit and lose refill the gate counted:
 * pacing at exactly the limit then meets a 429. The margin is what absorbs it.
 */
async function refusalsWithJitter(marginMs: number, maxDelayMs: number): Promise<number> {
  const clock = new FakeClock();
  const gate = new RpmGate({ limit: 300, clock, marginMs }); // 5 per second, one per 200 ms
  const server = new TokenBucket(300, 1, () => clock.now());
  const arrivals: number[] = [];
  let refused = 0;
  let seed = 3;
  const delay = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % (maxDelayMs + 1);
  };
  const admitted = Array.from({ length: 60 }, () => gate.acquire().then(() => arrivals.push(clock.now() + delay())));
  for (let t = 0; t < 20_000; t++) {
    await flush();
    for (let i = arrivals.length - 1; i >= 0; i--) {
      if (arrivals[i]! > clock.now()) continue;
      if (server.canTake(1)) server.take(1);
      else refused++;
      arrivals.splice(i, 1);
    }
    clock.advance(1);
  }
  await Promise.all(admitted);
  return refused;
}

describe("transit margin", () => {
  it("without a margin, jittered arrivals at the exact limit meet refusals", async () => {
    expect(await refusalsWithJitter(0, 40)).toBeGreaterThan(0);
  });

  it("a margin at least as large as the jitter means no refusal, at the same sustained pace", async () => {
    expect(await refusalsWithJitter(50, 40)).toBe(0);
  });

  it("shrinks only the burst: capacity is the limit less marginMs of refill, capped at half", () => {
    const clock = new FakeClock();
    expect(new TpmGate({ limit: 60_000, clock, marginMs: 50 }).available).toBeCloseTo(950, 9);
    expect(new TpmGate({ limit: 60_000, clock, marginMs: 5_000 }).available).toBeCloseTo(500, 9);
    expect(() => new RpmGate({ limit: 60, marginMs: -1 })).toThrow(/marginMs/);
  });
});

describe("learned limits", () => {
  it("an unlimited learning gate takes the server's limit and level from the first headers", () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ clock, learnLimits: true });
    expect(gate.limit).toBeUndefined();
    gate.observe({ limitRequests: 6000, remainingRequests: 5950 }); // server: 50 of 100 used
    expect(gate.limit).toBe(6000);
    expect(gate.available).toBe(51); // 100 - 50, plus the floored remaining's 1
  });

  it("the lower bound wins, whichever side gives it, and setLimit keeps honouring it", () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ clock, learnLimits: true, limit: 100_000 });
    gate.observe({ limitTokens: 150_000, remainingTokens: 150_000 });
    expect(gate.limit).toBe(100_000);
    gate.observe({ limitTokens: 60_000, remainingTokens: 60_000 });
    expect(gate.limit).toBe(60_000);
    gate.setLimit(90_000);
    expect(gate.limit).toBe(60_000);
    gate.setLimit(30_000);
    expect(gate.limit).toBe(30_000);
  });

  it("without learnLimits the reported limit is only recorded", () => {
    const gate = new RpmGate({ clock: new FakeClock() });
    gate.observe({ limitRequests: 6000, remainingRequests: 6000 });
    expect(gate.limit).toBeUndefined();
    expect(gate.learnedLimit).toBe(6000);
  });
});

describe("careful resume after a 429", () => {
  it("pauseFor empties the bucket, so admission resumes at the refill pace, not with a burst", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 6000, clock }); // 100 per second, full at the start
    gate.pauseFor(100);
    const log: number[] = [];
    const all = Array.from({ length: 20 }, (_, i) => gate.acquire().then(() => log.push(i)));
    clock.advance(100);
    await flush();
    // Only the 100 ms of refill during the pause, as on the server its 429 emptied; not 20 at once.
    expect(log).toHaveLength(10);
    clock.advance(100);
    await flush();
    await Promise.all(all);
    expect(log).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });
});
