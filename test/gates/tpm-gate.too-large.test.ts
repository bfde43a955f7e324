import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { GateError, TpmGate } from "../../src/gates/tpm-gate.js";
import { flush } from "./helpers.js";

describe("TpmGate request above the whole limit", () => {
  it("rejects at once with GateError instead of waiting forever", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 30_000, clock });
    const err = await gate.acquire(31_538).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(GateError);
    expect((err as GateError).message).toBe("request needs 31538 tokens but the TPM limit is 30000");
    expect(gate.waiting).toBe(0);
    expect(clock.pending()).toBe(0);
    expect((await gate.acquire(30_000)).waitedMs).toBe(0); // exactly the limit is admissible
  });

  it("rejects a queued request when the limit is lowered below it, and serves the rest", async () => {
    const clock = new FakeClock();
    const gate = new TpmGate({ limit: 6000, clock });
    await gate.acquire(100);
    const big = gate.acquire(5000);
    const small = gate.acquire(10);
    gate.setLimit(3000); // capacity 50, 0.05 token/ms
    await expect(big).rejects.toBeInstanceOf(GateError);
    clock.advance(200);
    expect((await small).waitedMs).toBe(200);
  });

  it("rejects invalid token counts", async () => {
    const gate = new TpmGate({ limit: 6000, clock: new FakeClock() });
    await expect(gate.acquire(Number.NaN)).rejects.toBeInstanceOf(RangeError);
    await expect(gate.acquire(-1)).rejects.toBeInstanceOf(RangeError);
    await flush();
    expect(gate.waiting).toBe(0);
  });
});
