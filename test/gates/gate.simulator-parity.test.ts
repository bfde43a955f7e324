import { describe, it, expect } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { TpmGate } from "../../src/gates/tpm-gate.js";
import { RpmGate } from "../../src/gates/rpm-gate.js";
import { TokenBucket } from "../../src/simulator/token-bucket.js";
import { flush } from "./helpers.js";

/**
 * The gates must mirror the simulator's enforcement: a client alone against the server never
 * sends a request the server would refuse, and never holds back one the server would accept.
 * The server checks at the very instant the gate admits (no network delay: the strictest case).
 */
async function replay(costs: number[], acquire: (cost: number) => Promise<unknown>, server: TokenBucket, clock: FakeClock): Promise<{ refused: number[]; heldBack: number[]; order: number[] }> {
  const refused: number[] = [];
  const heldBack: number[] = [];
  const order: number[] = [];
  const all = costs.map((cost, i) =>
    acquire(cost).then(() => {
      order.push(i);
      if (server.canTake(cost)) server.take(cost);
      else refused.push(i);
    }),
  );
  await flush();
  // Whole-ms steps: the server turns admissible at some fractional instant, the gate's timer
  // (whole ms, rounded up) fires at the next whole ms, so at every whole ms they must agree.
  while (order.length < costs.length) {
    const head = order.length;
    if (server.canTake(costs[head]!)) heldBack.push(head);
    clock.advance(1);
    await flush();
  }
  await Promise.all(all);
  return { refused, heldBack, order };
}

describe("gates agree with the simulator's bucket", () => {
  it("TPM: mixed sizes, up to 2.7× the burst capacity", async () => {
    const clock = new FakeClock();
    const limit = 90_000; // 1500 tokens per second of capacity, 1.5 per ms
    const gate = new TpmGate({ limit, clock });
    const server = new TokenBucket(limit, 1, () => clock.now());
    let seed = 7;
    const costs = Array.from({ length: 300 }, () => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return 1 + (seed % 4000);
    });
    const r = await replay(costs, (c) => gate.acquire(c), server, clock);
    expect(r.refused).toEqual([]);
    expect(r.heldBack).toEqual([]);
    expect(r.order).toEqual(costs.map((_, i) => i));
  });

  it("RPM: the same pace as the server, request for request", async () => {
    const clock = new FakeClock();
    const gate = new RpmGate({ limit: 7000, clock }); // 116.67 per second: a pace that is not whole ms
    const server = new TokenBucket(7000, 1, () => clock.now());
    const r = await replay(new Array<number>(1000).fill(1), () => gate.acquire(), server, clock);
    expect(r.refused).toEqual([]);
    expect(r.heldBack).toEqual([]);
  });
});
