import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";

describe("gate without a limit", () => {
  it("admits everything at once and arms no timer", async () => {
    const clock = new FakeClock();
    const rpm = new RpmGate({ clock });
    const tpm = new TpmGate({ clock });
    const rs = await Promise.all(Array.from({ length: 10_000 }, () => rpm.acquire()));
    const ts = await Promise.all(Array.from({ length: 1000 }, () => tpm.acquire(1_000_000)));
    expect(rs.every((a) => a.waitedMs === 0)).toBe(true);
    expect(ts.every((a) => a.waitedMs === 0)).toBe(true);
    expect(clock.pending()).toBe(0);
    expect(rpm.limit).toBeUndefined();
    expect(tpm.available).toBe(Infinity);
    tpm.reconcile(ts[0]!.reservation, 5); // no bucket: nothing to refund, no error
  });

  it("is unaffected by rate-limit headers, which are only recorded", async () => {
    const clock = new FakeClock();
    const rpm = new RpmGate({ clock });
    rpm.observe({ limitRequests: 500, remainingRequests: 0 });
    expect(rpm.learnedLimit).toBe(500);
    expect((await rpm.acquire()).waitedMs).toBe(0);
    rpm.observe({}); // absent headers
    expect(rpm.learnedLimit).toBe(500);
  });
});
