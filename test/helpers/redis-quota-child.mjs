// A process sharing a quota through the built store (dist/): run by the Redis store's
// multi-process tests. Argument: JSON {url, key, limits, mode, tokens, takes, processTtlMs, reservationTtlMs}.
// mode "burst": prints "ready", waits for a line on stdin, fires `takes` takes at once, prints
// {"taken": n}, and exits after another line. mode "hold": takes `takes` and never settles them, prints "held" and
// stays alive (its heartbeat renewing its entry) until killed.
import { createInterface } from "node:readline";
import { openRedisQuotaStore } from "../../dist/gates/redis-quota-store.js";

const o = JSON.parse(process.argv[2]);
const store = await openRedisQuotaStore({ url: o.url, processTtlMs: o.processTtlMs, reservationTtlMs: o.reservationTtlMs });
store.define(o.key, o.limits);
if (o.mode === "burst") {
  process.stdout.write("ready\n");
  const lines = createInterface({ input: process.stdin });
  await new Promise((resolve) => lines.once("line", resolve));
  const results = await Promise.all(Array.from({ length: o.takes }, () => store.take(o.key, o.tokens)));
  process.stdout.write(`${JSON.stringify({ taken: results.filter((r) => r.taken).length })}\n`);
  await new Promise((resolve) => lines.once("line", resolve)); // "bye": the parent has read the state
  lines.close();
  await store.close();
} else {
  let taken = 0;
  while (taken < o.takes) if ((await store.take(o.key, o.tokens)).taken) taken++;
  process.stdout.write("held\n");
  setInterval(() => {}, 60_000);
}
