/**
 * A server that stops taking requests in for a while (its process starved of CPU, a stalled
 * network path): the requests admitted meanwhile wait in front of it, and its bucket, which sees
 * none of them, fills up to its capacity and wastes the rest of the refill. When it resumes, they
 * all arrive at once. The quota must not have admitted more than that full bucket holds.
 *
 * The server here is the simulator's own bucket (`TokenBucket`) on the same FakeClock; the client
 * is the in-memory quota store as the engine builds it. No wall clock anywhere.
 */
import { describe, expect, it } from "vitest";
import { FakeClock } from "../../src/gates/clock.js";
import { MemoryQuotaStore } from "../../src/gates/memory-quota-store.js";
import { TokenBucket } from "../../src/simulator/token-bucket.js";

const TPM = 150_000;
const COST = 127;
const LATENCY_MS = 200;

interface Sim {
  clock: FakeClock;
  store: MemoryQuotaStore;
  server: TokenBucket;
  /** Requests admitted by the client, not yet at the server. */
  inTransit: number;
  refused: number;
  admitted: number;
  /** Replies due: when, and whether the server is answering at all. */
  replies: number[];
  stalled: boolean;
}

function headers(server: TokenBucket) {
  return { limitTokens: TPM, remainingTokens: server.remaining(), limitRequests: 6000, remainingRequests: 6000 };
}

function start(): Sim {
  const clock = new FakeClock(0);
  const store = new MemoryQuotaStore({ clock });
  store.define("q", { tpm: TPM });
  const server = new TokenBucket(TPM, 1, () => clock.now());
  return { clock, store, server, inTransit: 0, refused: 0, admitted: 0, replies: [], stalled: false };
}

/**
 * The server answers what is due, then takes in what waits in front of it (while it runs), the
 * order the simulator's event loop has on resuming: timers (the replies, their headers computed
 * now, before the backlog is charged), then the requests that arrived. The client reads the
 * replies after that.
 */
function serve(s: Sim): void {
  if (s.stalled) return;
  const now = s.clock.now();
  const answered = [];
  while (s.replies.length > 0 && (s.replies[0] as number) <= now) {
    s.replies.shift();
    answered.push(headers(s.server));
  }
  for (; s.inTransit > 0; s.inTransit--) {
    if (s.server.canTake(COST)) {
      s.server.take(COST);
      s.replies.push(now + LATENCY_MS);
    } else s.refused++;
  }
  for (const info of answered) {
    // Each reply settles at what it reserved, then its headers are read.
    s.store.settle("q", COST, COST);
    s.store.observe("q", info);
  }
}

/** One millisecond: the client sends whatever its quota admits, at most one request per ms. */
function tick(s: Sim): void {
  s.clock.advance(1);
  if (s.store.take("q", COST).taken) {
    s.admitted++;
    s.inTransit++;
  }
  serve(s);
}

describe("a quota whose server stops taking requests in for a while", () => {
  it("admits no more than the server's full bucket holds, so nothing meets a 429 when the server resumes", () => {
    const s = start();
    for (let i = 0; i < 5_000; i++) tick(s); // steady state at the TPM limit
    expect(s.refused).toBe(0);
    const before = s.admitted;
    s.stalled = true;
    for (let i = 0; i < 1_500; i++) tick(s); // the server takes nothing in for 1.5 s
    s.stalled = false;
    serve(s);
    expect(s.admitted - before).toBeGreaterThan(0);
    expect(s.refused).toBe(0);
    for (let i = 0; i < 5_000; i++) tick(s); // and the pace after it is the limit again
    expect(s.refused).toBe(0);
  });

  it("keeps the full rate while the server answers", () => {
    const s = start();
    for (let i = 0; i < 2_000; i++) tick(s);
    const from = s.admitted;
    for (let i = 0; i < 60_000; i++) tick(s);
    // One minute at 150,000 TPM is 150,000 / 127 requests (less one for rounding at the edges).
    expect(s.admitted - from).toBeGreaterThanOrEqual(Math.floor(TPM / COST) - 1);
    expect(s.refused).toBe(0);
  });
});
