// `npm run bench`: starts the bundled simulator, runs each scenario's client in its own process
// (so CPU seconds and peak RSS are the client's alone), prints one line per scenario and writes
// every figure to test/bench/results.json (or the path after --json).
//
// Usage: npm run bench [-- --only paced,overhead,shared] [-- --json out.json] [-- --memory-records N] [-- --node-flags "--optimize-for-size"]
// Figures depend on the machine and on what else runs on it; the targets are in README.md.
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { startSimulator } from "../../dist/simulator/index.js";

const here = (f) => fileURLToPath(new URL(f, import.meta.url));
const args = process.argv.slice(2);
const argOf = (name) => (args.includes(name) ? args[args.indexOf(name) + 1] : undefined);
const only = argOf("--only")?.split(",");
const jsonPath = argOf("--json") ?? here("results.json");
// The 1,000,000 records: ~8 minutes through real HTTP and the openai client on 2 shared
// cores (~2,200 records/s); `--memory-records 50000` for a quicker look.
const memoryRecords = Number(argOf("--memory-records") ?? 1_000_000);
// V8 flags for the clients only (not the simulator), e.g. `--node-flags --optimize-for-size`.
const nodeFlags = argOf("--node-flags")?.split(" ").filter(Boolean) ?? [];
const MODEL = "gpt-4o-mini";

function runClient(script, config) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...nodeFlags, here(script), JSON.stringify(config)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with ${code}`));
      resolve(JSON.parse(out.trim().split("\n").pop()));
    });
  });
}

async function withSimulator(options, fn) {
  const sim = await startSimulator({ quiet: true, seed: 1, ...options });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const num = (x, d = 0) => x.toLocaleString("en-US", { maximumFractionDigits: d, minimumFractionDigits: d });

/**
 * Scenarios 1–3: the physical limit is min(RPM, TPM / tokens per request, concurrency / latency),
 * with tokens per request as the simulator counted them (net of the refunded reservation) and the
 * simulator's mean latency. Achieved is the steady rate of attempts (first 2 s left out: that is
 * the full bucket's burst, which would flatter the figure).
 */
async function rateScenario(name, { rpm, tpm, told }) {
  const latency = [100, 400];
  const concurrency = 64;
  return withSimulator({ rpm, tpm, latencyMs: latency }, async (sim) => {
    const r = await runClient("llmbatch-client.mjs", {
      mode: "engine",
      baseUrl: sim.url,
      model: MODEL,
      records: 3000,
      maxTokens: 100,
      concurrency,
      skipMs: 2000,
      ...(told ? { rpm, tpm } : {}),
    });
    const s = sim.stats();
    const tokensPerRequest = (s.inputTokens + s.outputTokens) / s.ok;
    const meanLatency = (latency[0] + latency[1]) / 2;
    const limit = Math.min(rpm, tpm / tokensPerRequest, (concurrency / meanLatency) * 60_000);
    const binding = limit === rpm ? "RPM" : limit === tpm / tokensPerRequest ? "TPM" : "concurrency";
    const fraction = r.steadyPerMin / limit;
    const share429 = s.rateLimited / s.requests;
    return {
      name,
      ...r,
      requests: s.requests,
      rateLimited: s.rateLimited,
      share429,
      tokensPerRequest,
      physicalLimitPerMin: limit,
      binding,
      fraction,
      line: `${num(r.steadyPerMin)} req/min steady = ${pct(fraction)} of the ${binding}-bound limit ${num(limit)}/min; ${s.rateLimited} 429s of ${s.requests} requests (${pct(share429)}); ${num(tokensPerRequest, 1)} tokens/request; learned limits ${r.rpmLimit ?? "none"} RPM / ${r.tpmLimit ?? "none"} TPM; wall ${num(r.wallMs / 1000, 1)} s`,
    };
  });
}

/** Scenario 4: llmbatch against the p-limit + openai script, same simulator, same records. */
async function overhead() {
  const base = { baseUrl: "", model: MODEL, records: 20_000, concurrency: 64, maxTokens: 20 };
  return withSimulator({}, async (sim) => {
    const cfg = { ...base, baseUrl: sim.url };
    // Warm-up of both clients' code paths and the simulator's would favour whichever runs second;
    // alternate and keep the better of two runs each.
    const runs = { baseline: [], llmbatch: [] };
    for (let i = 0; i < 2; i++) {
      runs.baseline.push(await runClient("baseline-client.mjs", cfg));
      runs.llmbatch.push(await runClient("llmbatch-client.mjs", { ...cfg, mode: "batch" }));
    }
    const best = (list) => list.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
    const b = best(runs.baseline);
    const l = best(runs.llmbatch);
    const rate = (x) => (x.ok / x.wallMs) * 1000;
    const cpuPer = (x) => (x.cpuSeconds / x.ok) * 1e6;
    return {
      name: "overhead",
      baseline: b,
      llmbatch: l,
      runs,
      recordsPerSec: rate(l),
      baselineRecordsPerSec: rate(b),
      ratio: rate(l) / rate(b),
      cpuUsPerRecord: cpuPer(l),
      baselineCpuUsPerRecord: cpuPer(b),
      cpuRatio: cpuPer(l) / cpuPer(b),
      line: `${num(rate(l))} records/s vs baseline ${num(rate(b))} (×${num(rate(l) / rate(b), 2)}); client CPU ${num(l.cpuSeconds, 2)} s = ${num(cpuPer(l))} µs/record vs ${num(cpuPer(b))} (×${num(cpuPer(l) / cpuPer(b), 2)}); ${l.failed + b.failed} failures`,
    };
  });
}

/**
 * Scenario 5: the command a user types, `llmbatch run - -o /dev/null …` (bin/llmbatch.js, so `run`
 * goes to its worker thread as it does for users), on generated records (ids "req-N") written into
 * its stdin with backpressure. Its peak RSS over all threads is the kernel's (getrusage maxRSS),
 * reported by the process itself at exit through a preloaded script. "memory-no-ids" is the same
 * with records that carry no id, so each is identified by its content (a hash per record and a
 * compact table of every hash seen).
 */
async function memory(withIds = true) {
  return withSimulator({}, async (sim) => {
    const dir = mkdtempSync(join(tmpdir(), "llmbatch-bench-"));
    const rusageFile = join(dir, "rusage.json");
    const summaryFile = join(dir, "summary.json");
    try {
      const args = [
        "--require",
        here("rusage-on-exit.cjs"),
        here("../../bin/llmbatch.js"),
        "run",
        "-",
        "-o",
        "/dev/null",
        "-q",
        "-m",
        MODEL,
        "-c",
        "64",
        "--max-tokens",
        "20",
        "--summary",
        summaryFile,
      ];
      const child = spawn(process.execPath, [...nodeFlags, ...args], {
        stdio: ["pipe", "ignore", "inherit"],
        env: { ...process.env, OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: `${sim.url}/v1`, LLMBATCH_BENCH_RUSAGE: rusageFile },
      });
      const t0 = performance.now();
      const exited = new Promise((resolve, reject) => {
        child.on("error", reject);
        child.on("exit", resolve);
      });
      for (let i = 1; i <= memoryRecords; i++) {
        const prompt = `"prompt":"Summarize ticket ${i}: the customer cannot log in after the update and asks for help."`;
        const line = withIds ? `{"id":"req-${i}",${prompt}}\n` : `{${prompt}}\n`;
        if (!child.stdin.write(line)) await new Promise((r) => child.stdin.once("drain", r));
      }
      child.stdin.end();
      const code = await exited;
      const wallMs = performance.now() - t0;
      if (code !== 0) throw new Error(`llmbatch run exited with ${code}`);
      const summary = JSON.parse(readFileSync(summaryFile, "utf8"));
      const r = { ok: summary.ok, failed: summary.failed, attempts: summary.attempts, wallMs, ...JSON.parse(readFileSync(rusageFile, "utf8")) };
      const mb = r.maxRssBytes / 2 ** 20;
      return {
        name: withIds ? "memory" : "memory-no-ids",
        records: memoryRecords,
        ...r,
        peakRssMB: mb,
        line: `peak RSS ${num(mb)} MB for ${num(r.ok)} ok of ${num(memoryRecords)} records (${r.failed} failed); ${num((r.ok / r.wallMs) * 1000)} records/s; CPU ${num(r.cpuSeconds, 1)} s; wall ${num(r.wallMs / 1000, 1)} s`,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/**
 * Scenario "cache": the overhead scenario's path (runBatch) with `--cache` on misses (a new cache
 * directory each run) beside the same without a cache, alternated, best of two each; then a first
 * run of 100,000 records into a new cache and the all-hits rerun of the same records (no request,
 * cost 0: the store's speed).
 */
async function cacheScenario() {
  const records = 10_000;
  const hitsRecords = 100_000;
  const base = { model: MODEL, concurrency: 64, maxTokens: 20 };
  return withSimulator({}, async (sim) => {
    const dir = mkdtempSync(join(tmpdir(), "llmbatch-bench-cache-"));
    try {
      const cfg = { ...base, baseUrl: sim.url, records };
      const runs = { plain: [], misses: [] };
      for (let i = 0; i < 2; i++) {
        runs.plain.push(await runClient("llmbatch-client.mjs", { ...cfg, mode: "batch" }));
        runs.misses.push(await runClient("llmbatch-client.mjs", { ...cfg, mode: "batch", cacheDir: join(dir, `misses-${i}`) }));
      }
      const best = (list) => list.reduce((a, b) => (b.wallMs < a.wallMs ? b : a));
      const rate = (x) => (x.ok / x.wallMs) * 1000;
      const plain = best(runs.plain);
      const misses = best(runs.misses);
      const filled = join(dir, "filled");
      sim.resetStats();
      const first = await runClient("llmbatch-client.mjs", { ...cfg, records: hitsRecords, mode: "batch", cacheDir: filled });
      const sentFirst = sim.stats().requests;
      sim.resetStats();
      const hits = await runClient("llmbatch-client.mjs", { ...cfg, records: hitsRecords, mode: "batch", cacheDir: filled });
      const sentHits = sim.stats().requests;
      const mb = (x) => x.maxRssBytes / 2 ** 20;
      const anon = (x) => x.sampledPeakAnon / 2 ** 20;
      return {
        name: "cache",
        runs,
        plain,
        misses,
        first,
        hits,
        sentFirst,
        sentHits,
        missRatio: rate(misses) / rate(plain),
        hitsPerSec: rate(hits),
        line:
          `misses ${num(rate(misses))} records/s vs no cache ${num(rate(plain))} (×${num(rate(misses) / rate(plain), 2)}, ${num(records)} records); ` +
          `first run ${num(rate(first))} records/s, ${num(sentFirst)} requests, $${first.costUsd}, peak RSS ${num(mb(first))} MB (${num(anon(first))} MB not file-mapped); ` +
          `all hits ${num(rate(hits))} records/s (${num(hits.cache?.hits ?? 0)} hits, ${num(sentHits)} requests, $${hits.costUsd}, saved $${hits.cache?.saved_usd}, peak RSS ${num(mb(hits))} MB (${num(anon(hits))} MB not file-mapped); plain run peak RSS ${num(mb(plain))} MB)`,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

/** Scenario 6: Ollama with 4 slots and a short queue, no limits given: adaptive concurrency. */
async function ollama() {
  const slots = 4;
  const latency = [100, 400];
  return withSimulator({ latencyMs: latency, ollama: { numParallel: slots, maxQueue: 8 } }, async (sim) => {
    const r = await runClient("llmbatch-client.mjs", { mode: "engine", baseUrl: sim.url, model: "ollama:llama3.2", records: 400, maxTokens: 100, concurrency: 64, skipMs: 2000 });
    const s = sim.stats();
    const ideal = (slots / ((latency[0] + latency[1]) / 2)) * 60_000;
    const busy = s.byStatus["503"] ?? 0;
    return {
      name: "ollama",
      ...r,
      requests: s.requests,
      status503: busy,
      maxInFlight: s.maxInFlight,
      idealPerMin: ideal,
      fraction: r.steadyPerMin / ideal,
      line: `${num(r.steadyPerMin)} req/min steady = ${pct(r.steadyPerMin / ideal)} of slots/latency (${num(ideal)}/min); overall ${pct(r.overallPerMin / ideal)}; ${busy} 503s; at most ${s.maxInFlight} at the server (${slots} slots); wall ${num(r.wallMs / 1000, 1)} s`,
    };
  });
}

/**
 * Scenario "two models": a two-step pipeline, gpt-4o-mini then gpt-4o on every record, against a
 * simulator that limits each model to `rpm` on its own (OpenAI counts limits per model). Each
 * model's steady rate is measured against its own limit; with one shared budget the two would
 * split one model's limit between them.
 */
async function twoModels() {
  const rpm = 3000;
  const records = 1500;
  const latency = [100, 400];
  const pipelineYaml = [
    "name: bench-two-models",
    "params: {max_tokens: 20}",
    "steps:",
    "  - {id: quick, method: generate, model: gpt-4o-mini, prompt: '{{text}}'}",
    "  - {id: careful, method: generate, model: gpt-4o, prompt: 'Look again: {{text}}'}",
  ].join("\n");
  return withSimulator({ rpm, latencyMs: latency }, async (sim) => {
    const r = await runClient("llmbatch-client.mjs", { mode: "engine", baseUrl: sim.url, records, concurrency: 64, skipMs: 2000, rpm, pipelineYaml });
    const s = sim.stats();
    const models = Object.entries(r.perModel).map(([model, m]) => ({ model, ...m, fraction: m.steadyPerMin / rpm }));
    const worst = Math.min(...models.map((m) => m.fraction));
    const each = models.map((m) => `${m.model} ${num(m.steadyPerMin)}/min = ${pct(m.fraction)}`).join(", ");
    return {
      name: "two-models",
      ...r,
      models,
      requests: s.requests,
      rateLimited: s.rateLimited,
      limitPerModel: rpm,
      fraction: worst,
      line: `${each} of its own ${num(rpm)} RPM; ${s.rateLimited} 429s of ${s.requests} requests; wall ${num(r.wallMs / 1000, 1)} s for ${num(records)} records (${num((records / rpm) * 60, 1)} s at each model's limit)`,
    };
  });
}

/** A redis-server of Debian's package on a free loopback port, in a temp dir, without persistence. */
async function startRedis() {
  const { createServer } = await import("node:net");
  const port = await new Promise((resolve, reject) => {
    const srv = createServer().once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
  const dir = mkdtempSync(join(tmpdir(), "llmbatch-bench-redis-"));
  const child = spawn(process.env.LLMBATCH_TEST_REDIS_SERVER ?? "/usr/bin/redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  await new Promise((resolve, reject) => {
    let out = "";
    child.once("error", reject);
    child.once("exit", (code) => reject(new Error(`redis-server exited with ${code}: ${out}`)));
    child.stdout.on("data", (d) => {
      out += d;
      if (out.includes("Ready to accept connections")) resolve();
    });
  });
  child.stdout.resume();
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Scenario "shared": K = 4 `llmbatch run` processes on one key, each told the real limits (four cron
 * jobs), against one simulator: without --redis (each paces itself as if alone) and with it. The
 * aggregate is the simulator's admitted requests (its requests less its 429s) per minute, sampled
 * every 50 ms, from 2 s after the first request (the server's first-second burst) until 90 % were
 * admitted (the tail, where the shards run dry), against its limit. CPU per record is the
 * processes' own (getrusage at exit). Then the overhead of --redis on loopback: the overhead
 * scenario's batch through runBatch, unlimited, with and without it.
 */
async function sharedScenario() {
  const rpm = 1200;
  const tpm = 200_000;
  const k = 4;
  const perShard = 100;
  const redis = await startRedis();
  try {
    const runShards = (withRedis) =>
      withSimulator({ rpm, tpm, latencyMs: [50, 150] }, async (sim) => {
        const dir = mkdtempSync(join(tmpdir(), "llmbatch-bench-shared-"));
        try {
          const samples = [];
          const sample = () => {
            const s = sim.stats();
            samples.push({ t: performance.now(), admitted: s.requests - s.rateLimited });
          };
          const timer = setInterval(sample, 50);
          const t0 = performance.now();
          const runs = Array.from({ length: k }, (_, shard) => {
            const input = join(dir, `in-${shard}.jsonl`);
            const lines = Array.from({ length: perShard }, (_, i) => `{"id":"s${shard}-${i}","prompt":"Summarize ticket ${shard}-${i}: the customer cannot log in after the update."}\n`);
            writeFileSync(input, lines.join(""));
            const files = { summary: join(dir, `s-${shard}.json`), rusage: join(dir, `u-${shard}.json`) };
            const args = ["--require", here("rusage-on-exit.cjs"), here("../../bin/llmbatch.js"), "run", input, "-o", join(dir, `out-${shard}.jsonl`), "-q", "-m", MODEL, "--max-tokens", "100"];
            args.push("--rpm", String(rpm), "--tpm", String(tpm), "--summary", files.summary, ...(withRedis ? ["--redis", redis.url] : []));
            const child = spawn(process.execPath, [...nodeFlags, ...args], {
              stdio: ["ignore", "ignore", "pipe"],
              env: { ...process.env, OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: `${sim.url}/v1`, LLMBATCH_BENCH_RUSAGE: files.rusage },
            });
            // Its warnings (answers cut off at max_tokens) are the same each time: shown only when it fails.
            let stderr = "";
            child.stderr.setEncoding("utf8").on("data", (d) => (stderr += d));
            return new Promise((resolve, reject) => {
              child.on("error", reject);
              child.on("close", (code) => {
                if (code !== 0) process.stderr.write(stderr);
                resolve({ code, ...files });
              });
            });
          });
          const done = await Promise.all(runs);
          const wallMs = performance.now() - t0;
          clearInterval(timer);
          sample();
          const summaries = done.map((d) => JSON.parse(readFileSync(d.summary, "utf8")));
          const cpuSeconds = done.reduce((a, d) => a + JSON.parse(readFileSync(d.rusage, "utf8")).cpuSeconds, 0);
          const s = sim.stats();
          const first = samples.find((x) => x.admitted > 0);
          const total = samples.at(-1).admitted;
          const from = samples.find((x) => x.t >= first.t + 2000);
          const to = samples.find((x) => x.admitted >= 0.9 * total);
          const fraction = ((to.admitted - from.admitted) / (to.t - from.t) / rpm) * 60_000;
          const ok = summaries.reduce((a, x) => a + x.ok, 0);
          const failed = summaries.reduce((a, x) => a + x.failed, 0);
          return {
            redis: withRedis,
            codes: done.map((d) => d.code),
            requests: s.requests,
            rateLimited: s.rateLimited,
            share429: s.rateLimited / s.requests,
            fraction,
            ok,
            failed,
            cpuSeconds,
            cpuUsPerRecord: (cpuSeconds / ok) * 1e6,
            wallMs,
          };
        } finally {
          rmSync(dir, { recursive: true, force: true });
        }
      });
    const alone = await runShards(false);
    const together = await runShards(true);
    const overheadRun = (withRedis) =>
      withSimulator({}, (sim) =>
        runClient("llmbatch-client.mjs", { mode: "batch", baseUrl: sim.url, model: MODEL, records: 8000, concurrency: 64, maxTokens: 20, ...(withRedis ? { redis: redis.url } : {}) }),
      );
    const plain = await overheadRun(false);
    const viaRedis = await overheadRun(true);
    const cpuPer = (x) => (x.cpuSeconds / x.ok) * 1e6;
    const rate = (x) => (x.ok / x.wallMs) * 1000;
    const describe = (x) =>
      `${num(x.requests)} requests, ${x.rateLimited} × 429 (${pct(x.share429)}), aggregate ${pct(x.fraction)} of ${num(rpm)} RPM, ${x.ok} ok / ${x.failed} failed, ${num(x.cpuUsPerRecord)} µs CPU/record, wall ${num(x.wallMs / 1000, 1)} s`;
    return {
      name: "shared",
      processes: k,
      rpm,
      alone,
      together,
      overhead: { plain, redis: viaRedis, cpuUsPerRecord: cpuPer(viaRedis), baselineCpuUsPerRecord: cpuPer(plain), cpuRatio: cpuPer(viaRedis) / cpuPer(plain) },
      fraction: together.fraction,
      line: [
        `K=${k} on one key, each told the limits: without --redis ${describe(alone)}`,
        `             with --redis    ${describe(together)}`,
        `             overhead on loopback, unlimited: --redis ${num(rate(viaRedis))} records/s, ${num(cpuPer(viaRedis))} µs CPU/record vs without ${num(rate(plain))} records/s, ${num(cpuPer(plain))} µs (×${num(cpuPer(viaRedis) / cpuPer(plain), 2)}); ${viaRedis.failed + plain.failed} failures`,
      ].join("\n"),
    };
  } finally {
    await redis.stop();
  }
}

/** Runs the real binary; resolves to its exit code and wall time. */
function runBin(argv, env) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...nodeFlags, here("../../bin/llmbatch.js"), ...argv], { stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env } });
    child.on("error", reject);
    child.on("exit", (code) => resolve({ code, wallMs: performance.now() - started }));
  });
}

/**
 * Scenario "batch": the same records through the synchronous API and through `--batch`, with the
 * real binary against the simulator at its default batch speed (2,000 lines per second per batch):
 * records, batches, wall time, cost against the synchronous run (0.50 expected), duplicates.
 */
async function batchScenario() {
  const records = 20_000;
  const batchSize = 5_000;
  const dir = mkdtempSync(join(tmpdir(), "llmbatch-bench-batch-"));
  try {
    const input = join(dir, "in.jsonl");
    writeFileSync(input, Array.from({ length: records }, (_, i) => `{"id":"b${i}","prompt":"Summarize record ${i} in one line."}\n`).join(""));
    return await withSimulator({}, async (sim) => {
      const env = { OPENAI_API_KEY: "sk-bench", OPENAI_BASE_URL: sim.openaiBaseUrl };
      const common = ["run", input, "--max-tokens", "200", "-q"];
      const sync = await runBin([...common, "-o", join(dir, "sync.jsonl"), "-c", "64", "--summary", join(dir, "sync.json")], env);
      sim.resetStats();
      const batch = await runBin([...common, "-o", join(dir, "batch.jsonl"), "--batch", "--batch-size", String(batchSize), "--poll-interval", "0.2", "--summary", join(dir, "batch.json")], env);
      if (sync.code !== 0 || batch.code !== 0) throw new Error(`batch scenario: exit codes ${sync.code} (sync), ${batch.code} (batch)`);
      const syncSummary = JSON.parse(readFileSync(join(dir, "sync.json"), "utf8"));
      const batchSummary = JSON.parse(readFileSync(join(dir, "batch.json"), "utf8"));
      const s = sim.stats().batch;
      const duplicates = Object.values(s.billed).reduce((n, c) => n + Math.max(0, c - 1), 0);
      const lines = readFileSync(join(dir, "batch.jsonl"), "utf8").split("\n").filter(Boolean).length;
      const ratio = batchSummary.cost_usd / syncSummary.cost_usd;
      return {
        name: "batch",
        records,
        lines,
        batches: s.created.length,
        duplicates,
        syncWallMs: sync.wallMs,
        batchWallMs: batch.wallMs,
        syncCostUsd: syncSummary.cost_usd,
        batchCostUsd: batchSummary.cost_usd,
        savedUsd: batchSummary.batch.saved_usd,
        costRatio: ratio,
        line: `${num(records)} records in ${s.created.length} batches of ≤ ${num(batchSize)}: wall ${num(batch.wallMs / 1000, 1)} s (synchronous ${num(sync.wallMs / 1000, 1)} s at -c 64); cost $${batchSummary.cost_usd} vs $${syncSummary.cost_usd} = ${ratio.toFixed(2)}; ${duplicates} duplicates; ${num(lines)} lines`,
      };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SCENARIOS = {
  paced: () => rateScenario("paced", { rpm: 6000, tpm: 600_000, told: true }),
  "token-bound": () => rateScenario("token-bound", { rpm: 6000, tpm: 150_000, told: true }),
  learned: () => rateScenario("learned", { rpm: 6000, tpm: 600_000, told: false }),
  overhead,
  memory: () => memory(true),
  "memory-no-ids": () => memory(false),
  ollama,
  "two-models": twoModels,
  shared: sharedScenario,
  cache: cacheScenario,
  batch: batchScenario,
};

const results = [];
const started = performance.now();
for (const [name, run] of Object.entries(SCENARIOS)) {
  if (only && !only.includes(name)) continue;
  const result = await run();
  results.push(result);
  process.stdout.write(`${name.padEnd(12)} ${result.line}\n`);
}
writeFileSync(
  jsonPath,
  `${JSON.stringify({ node: process.version, cpus: (await import("node:os")).cpus().length, date: new Date().toISOString(), wallSeconds: (performance.now() - started) / 1000, results }, null, 2)}\n`,
);
process.stdout.write(`figures written to ${jsonPath} (${num((performance.now() - started) / 1000)} s)\n`);
