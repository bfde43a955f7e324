// The baseline for the overhead scenario: what a user would write without llmbatch. The official
// `openai` client (retries off, as llmbatch runs it) under plain `p-limit`, one result line per
// record written to /dev/null. No gates, no token estimates, no per-record accounting.
// Usage: node baseline-client.mjs '<json config>'; prints one JSON line of figures on stdout.
import { createWriteStream } from "node:fs";
import OpenAI from "openai";
import pLimit from "p-limit";

const cfg = JSON.parse(process.argv[2]);
const client = new OpenAI({ baseURL: `${cfg.baseUrl}/v1`, apiKey: "sk-bench", maxRetries: 0 });
const limit = pLimit(cfg.concurrency);
const out = createWriteStream("/dev/null");

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let ok = 0;
let failed = 0;
// Bounded like a careful user would: never more than 4 × concurrency promises pending.
const pending = new Set();
for (let i = 1; i <= cfg.records; i++) {
  const p = limit(async () => {
    try {
      const r = await client.chat.completions.create({
        model: cfg.model,
        messages: [{ role: "user", content: `Summarize ticket ${i}: the customer cannot log in after the update and asks for help.` }],
        ...(cfg.maxTokens !== undefined ? { max_completion_tokens: cfg.maxTokens } : {}),
      });
      ok++;
      out.write(`${JSON.stringify({ id: `req-${i}`, ok: true, output: r.choices[0]?.message.content, usage: r.usage })}\n`);
    } catch (err) {
      failed++;
      out.write(`${JSON.stringify({ id: `req-${i}`, ok: false, error: String(err) })}\n`);
    }
  });
  pending.add(p);
  void p.finally(() => pending.delete(p));
  if (pending.size >= cfg.concurrency * 4) await Promise.race(pending);
}
await Promise.all(pending);
await new Promise((r) => out.end(r));
const cpu = process.cpuUsage(cpu0);
process.stdout.write(
  `${JSON.stringify({ ok, failed, attempts: ok + failed, wallMs: performance.now() - t0, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssBytes: process.resourceUsage().maxRSS * 1024 })}\n`,
);
