/**
 * Real processes sharing a quota through the built store (run `npm run build` first): admission
 * stays atomic across them, and one killed with -9 while holding reservations and a lower told
 * limit stops counting once its entry's TTL has passed.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { expect, it, vi } from "vitest";
import { ROOT } from "../helpers/cli.js";
import { describeRedis, useRedisServer } from "../helpers/redis-server.js";
import { freshKey, stateOf, useStores } from "./redis-helpers.js";

const CHILD = join(ROOT, "test/helpers/redis-quota-child.mjs");
const HOLD = 0.9;

interface Child {
  proc: ChildProcess;
  /** Resolves with the next stdout line. */
  line(): Promise<string>;
  exited: Promise<number | null>;
}

function child(options: object): Child {
  const proc = spawn(process.execPath, [CHILD, JSON.stringify(options)], { stdio: ["pipe", "pipe", "inherit"] });
  const lines = createInterface({ input: proc.stdout as NodeJS.ReadableStream });
  const queue: string[] = [];
  const waiting: ((l: string) => void)[] = [];
  lines.on("line", (l) => {
    const w = waiting.shift();
    if (w) w(l);
    else queue.push(l);
  });
  const exited = new Promise<number | null>((resolve) => proc.once("exit", (code) => resolve(code)));
  return { proc, exited, line: () => (queue.length > 0 ? Promise.resolve(queue.shift() as string) : new Promise((r) => waiting.push(r))) };
}

describeRedis("Redis quota store: real processes", () => {
  const redis = useRedisServer();
  const stores = useStores(redis);

  it("four processes taking at once: both buckets or neither, exactly what the buckets hold", { timeout: 30_000 }, async () => {
    const key = freshKey();
    // 9 requests and 13.5 tokens of bucket: 3-token requests are TPM-bound at 4, and neither
    // bucket reaches its capacity, so each refills linearly (0.01 and 0.015 a millisecond).
    const limits = { rpm: 600, tpm: 900 };
    const kids = Array.from({ length: 4 }, () => child({ url: redis().url, key, limits, mode: "burst", tokens: 3, takes: 30 }));
    for (const k of kids) expect(await k.line()).toBe("ready");
    for (const k of kids) k.proc.stdin?.write("go\n");
    const taken = (await Promise.all(kids.map(async (k) => JSON.parse(await k.line()).taken as number))).reduce((a, b) => a + b, 0);
    const s = await stateOf(redis(), key); // before the children leave (which steps the buckets)
    for (const k of kids) k.proc.stdin?.write("bye\n");
    expect(await Promise.all(kids.map((k) => k.exited))).toEqual([0, 0, 0, 0]);
    expect(s.n).toBe(taken);
    const spentR = (600 * HOLD) / 60 - (s.rl ?? 0); // = taken − refill
    const spentT = (900 * HOLD) / 60 - (s.tl ?? 0); // = 3 × taken − 1.5 × refill
    // Both buckets paid for exactly the admitted requests, whatever refill came meanwhile (unless
    // the read came so late that one refilled to the brim, which the identity cannot see through).
    const brim = (s.rl ?? 0) >= (600 * HOLD) / 60 - 1e-9 || (s.tl ?? 0) >= (900 * HOLD) / 60 - 1e-9;
    if (!brim) expect(spentT - 3 * taken).toBeCloseTo(1.5 * (spentR - taken), 9);
    expect(taken).toBeGreaterThanOrEqual(4);
    // Still in the cold first second (no refill, the usual case): exactly the burst.
    if ((s.cu ?? 0) > 0) expect(taken).toBe(4);
    else expect(taken).toBeLessThanOrEqual(4 + Math.ceil((1.5 * (taken - spentR)) / 3));
  });

  it("a process killed -9 holding reservations and a lower told limit: the others regain the full limit within the TTL", { timeout: 30_000 }, async () => {
    const key = freshKey();
    const ttl = 1_500;
    const [mine] = await stores(1, { processTtlMs: ttl, reservationTtlMs: ttl });
    mine?.define(key, { rpm: 6_000 });
    const holder = child({ url: redis().url, key, limits: { rpm: 600 }, mode: "hold", tokens: 1, takes: 3, processTtlMs: ttl, reservationTtlMs: ttl });
    try {
      expect(await holder.line()).toBe("held");
      await mine?.take(key, 1);
      expect(mine?.gauges(key).rpm).toBe(600); // the holder's lower limit binds while it lives
      expect(mine?.status().peers).toBe(2);
      // Alive, its heartbeat renews its entry past the TTL: still 600.
      await new Promise((r) => setTimeout(r, 2 * ttl));
      await mine?.take(key, 1);
      expect(mine?.gauges(key).rpm).toBe(600);
      expect(mine?.status().peers).toBe(2);
      holder.proc.kill("SIGKILL");
      await holder.exited;
      await vi.waitFor(
        async () => {
          await mine?.take(key, 1);
          expect(mine?.gauges(key).rpm).toBe(6_000);
        },
        { timeout: 3 * ttl, interval: 100 },
      );
      expect(mine?.status().peers).toBe(1);
      // Its reservations (and this process's, never settled here) expired and were reclaimed.
      await vi.waitFor(
        async () => {
          await mine?.take(key, 1);
          expect(mine?.reservations(key)?.reclaimed).toBeGreaterThanOrEqual(3);
        },
        { timeout: 3 * ttl, interval: 100 },
      );
    } finally {
      holder.proc.kill("SIGKILL");
    }
  });
});
