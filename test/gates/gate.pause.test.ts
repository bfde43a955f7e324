import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";
import { flush } from "./helpers.js";

describe("gate pauseFor (a 429 with retry-after)", () => {
  it("blocks everyone, even with tokens in the bucket, until the pause ends", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 60_000, clock });
    gate.pauseFor(500);
    const waits = Promise.all([gate.acquire(1), gate.acquire(2), gate.acquire(3)]);
    clock.advance(499);
    await flush();
    expect(gate.waiting).toBe(3);
    clock.advance(1);
    expect((await waits).map((a) => a.waitedMs)).toEqual([500, 500, 500]);
  });

  it("extends a pause but never shortens it", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 6000, clock });
    gate.pauseFor(1000);
    const p = gate.acquire();
    clock.advance(100);
    gate.pauseFor(200); // ends at 300: shorter, ignored
    clock.advance(900);
    await flush();
    expect((await p).waitedMs).toBe(1000);

    gate.pauseFor(1000); // until 2000
    const q = gate.acquire();
    clock.advance(500);
    gate.pauseFor(1000); // until 2500: extends
    expect(clock.pending()).toBe(1);
    clock.advance(999);
    await flush();
    expect(gate.waiting).toBe(1);
    clock.advance(1);
    expect((await q).waitedMs).toBe(1500);
  });

  it("applies to an unlimited gate too", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ clock });
    gate.pauseFor(250);
    const p = gate.acquire();
    clock.advance(250);
    expect((await p).waitedMs).toBe(250);
  });
});
