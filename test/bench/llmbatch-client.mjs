// One llmbatch run for the bench, in its own process so its CPU time and peak RSS are its own.
// Usage: node llmbatch-client.mjs '<json config>'; prints one JSON line of figures on stdout.
//
// mode "engine": GenerationEngine over generated records, recording when each HTTP attempt
//   starts (for the paced/learned/ollama scenarios' steady rate).
// mode "batch": the whole path through the library (runBatch: JSONL reader on stdin → dedupe →
//   engine → JSONL writer to /dev/null → summary), with the input generated on the fly into a pipe.
import { readFileSync } from "node:fs";
import { PassThrough } from "node:stream";
import { createProvider, defaultPipeline, loadPriceTable, parsePipeline, resolveRunOptions, runBatch } from "../../dist/index.js";
// The engine is internal (not in the public API): the bench drives it directly for its attempt timings.
import { GenerationEngine } from "../../dist/engine/engine.js";

const cfg = JSON.parse(process.argv[2]);

function prompt(i) {
  return `Summarize ticket ${i}: the customer cannot log in after the update and asks for help.`;
}

function pipeline() {
  // A pipeline of its own (the "two models" scenario): its steps name their models.
  if (cfg.pipelineYaml !== undefined) return parsePipeline(cfg.pipelineYaml, "bench.yaml");
  const p = defaultPipeline();
  p.model = cfg.model;
  if (cfg.maxTokens !== undefined) p.params.max_tokens = cfg.maxTokens;
  return p;
}

async function engineMode() {
  const starts = [];
  const rateLimitedAtMs = [];
  // Attempt starts per model, for a pipeline whose steps use different models.
  const startsByModel = {};
  const counted = (provider) => {
    const generate = provider.generate.bind(provider);
    provider.generate = (request, options) => {
      (startsByModel[request.model] ??= []).push(performance.now());
      return generate(request, options);
    };
    return provider;
  };
  const engine = new GenerationEngine({
    pipeline: pipeline(),
    provider: (name) => counted(createProvider(name === "ollama" ? { provider: name, baseUrl: cfg.baseUrl } : { provider: name, baseUrl: `${cfg.baseUrl}/v1`, apiKey: "sk-bench" })),
    prices: loadPriceTable(),
    concurrency: cfg.concurrency,
    rpm: cfg.rpm,
    tpm: cfg.tpm,
    observer: {
      attemptStarted: () => starts.push(performance.now()),
      // When each 429 came, from the start: a burst's or the steady pacing's.
      attemptFinished: (_reply, error) => {
        if (error?.status === 429) rateLimitedAtMs.push(Math.round(performance.now() - t0));
      },
    },
  });
  function* records() {
    for (let i = 1; i <= cfg.records; i++) yield { id: String(i), line: i, prompt: prompt(i), vars: cfg.pipelineYaml === undefined ? {} : { text: prompt(i) } };
  }
  const t0 = performance.now();
  let ok = 0;
  let failed = 0;
  let sumLatency = 0;
  for await (const r of engine.run(records())) {
    if (r.ok) ok++;
    else failed++;
    sumLatency += r.latency_ms;
  }
  const end = performance.now();
  const first = starts[0] ?? t0;
  const perModel = Object.fromEntries(Object.entries(startsByModel).map(([model, list]) => [model, { attempts: list.length, steadyPerMin: steadyRate(list, t0) }]));
  return {
    ok,
    failed,
    attempts: starts.length,
    wallMs: end - t0,
    steadyPerMin: steadyRate(starts, t0),
    overallPerMin: (ok / (end - first)) * 60_000,
    meanLatencyMs: sumLatency / Math.max(1, ok + failed),
    perModel,
    rateLimitedAtMs,
    ...limitsOf(engine),
  };
}

/**
 * Steady rate: attempts started from `skipMs` after the first until the last, which leaves out
 * the first burst (a full bucket) and the tail (nothing left to send).
 */
function steadyRate(starts, t0) {
  const first = starts[0] ?? t0;
  const last = starts[starts.length - 1] ?? t0;
  const from = first + cfg.skipMs;
  const inWindow = starts.filter((t) => t > from).length;
  return last > from ? (inWindow / (last - from)) * 60_000 : undefined;
}

/** The limits in force at the end (learned or told): of the run's first quota, and of each. */
function limitsOf(engine) {
  const quotas = engine.quotas.list().map((q) => ({ quota: q.label, ...q.gauges(), ...q.counters }));
  return { rpmLimit: quotas[0]?.rpm, tpmLimit: quotas[0]?.tpm, quotas };
}

/** The input, generated lazily and honouring backpressure: never in memory as a whole. */
function generatedInput() {
  const stdin = new PassThrough();
  (async () => {
    for (let i = 1; i <= cfg.records; i++) {
      const line = `{"id":"req-${i}","prompt":${JSON.stringify(prompt(i))}}\n`;
      if (!stdin.write(line)) await new Promise((r) => stdin.once("drain", r));
    }
    stdin.end();
  })();
  return stdin;
}

/** RssAnon of /proc/self/status in bytes (Linux); 0 elsewhere. */
function rssAnon() {
  try {
    const m = /RssAnon:\s+(\d+) kB/.exec(readFileSync("/proc/self/status", "utf8"));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

async function batchMode() {
  const stdin = generatedInput();
  // `redis`: the quotas through that Redis, as `--redis` does (the "shared" scenario's overhead).
  const options = resolveRunOptions({ model: cfg.model, concurrency: cfg.concurrency, maxTokens: cfg.maxTokens, redis: cfg.redis }, undefined);
  let peakRss = 0;
  // Anonymous memory apart from mapped files: the cache's LMDB file is memory-mapped, and the pages
  // of it that were read count in RSS as file pages, which the kernel can drop at any time.
  let peakAnon = 0;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage.rss());
    peakAnon = Math.max(peakAnon, rssAnon());
  }, 200);
  const t0 = performance.now();
  const { summary } = await runBatch({
    input: "-",
    stdin,
    output: "/dev/null",
    options,
    connections: { openai: { apiKey: "sk-bench", baseUrl: `${cfg.baseUrl}/v1` } },
    // The "cache" scenario: the response cache in this directory.
    cache: cfg.cacheDir === undefined ? false : { dir: cfg.cacheDir },
  });
  clearInterval(sampler);
  return {
    ok: summary.ok,
    failed: summary.failed,
    attempts: summary.attempts,
    wallMs: performance.now() - t0,
    sampledPeakRss: peakRss,
    sampledPeakAnon: peakAnon,
    costUsd: summary.cost_usd,
    cache: summary.cache,
  };
}

const cpu0 = process.cpuUsage();
const figures = cfg.mode === "engine" ? await engineMode() : await batchMode();
const cpu = process.cpuUsage(cpu0);
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ ...figures, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssBytes })}\n`);
