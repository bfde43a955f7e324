// One llmbatch run for the bench, in its own process so its CPU time and peak RSS are its own.
// Usage: node llmbatch-client.mjs '<json config>'; prints one JSON line of figures on stdout.
//
// mode "engine": GenerationEngine over generated records, recording when each HTTP attempt
//   starts (for the paced/learned/ollama scenarios' steady rate).
// mode "batch": the whole path through the library (runBatch: JSONL reader on stdin → dedupe →
//   engine → JSONL writer to /dev/null → summary), with the input generated on the fly into a pipe.
// mode "cli": the command a user types, `llmbatch run - -o /dev/null …`, through the CLI's own
//   entry point (only what that command loads), with the input generated into its stdin.
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";


import v8 from "node:v8";
import { readFileSync as __r } from "node:fs";
let __peak = 0;
const __fmt = () => { const u = process.memoryUsage(); return `rss ${(u.rss/1048576).toFixed(0)} heapUsed ${(u.heapUsed/1048576).toFixed(0)} heapTotal ${(u.heapTotal/1048576).toFixed(0)} ext ${(u.external/1048576).toFixed(0)} ab ${(u.arrayBuffers/1048576).toFixed(0)} ${v8.getHeapSpaceStatistics().filter(x=>x.space_size>0).map(x=>x.space_name.replace('_space','')+':'+(x.space_size/1048576).toFixed(0)+'/'+(x.space_used_size/1048576).toFixed(0)).join(' ')}`; };
const __t0 = Date.now();
if (process.env.SNAP) setTimeout(() => { v8.writeHeapSnapshot('/tmp/mid.heapsnapshot'); }, 6000).unref();
let __n = 0; const __timer = setInterval(() => { const r = process.memoryUsage.rss(); if (r > __peak) __peak = r; if (++__n % 100 === 0) process.stderr.write(`t=${((Date.now()-__t0)/1000).toFixed(0)} peak ${(__peak/1048576).toFixed(0)} ${__fmt()} | ${__smaps()}\n`); }, 50); __timer.unref();
const __smaps = () => { const m = __r('/proc/self/smaps','utf8').split('\n'); let cur=''; const agg={}; for (const l of m) { if (/^[0-9a-f]+-[0-9a-f]+ /.test(l)) { const parts=l.split(/\s+/); cur = parts[5] || '[anon]'; } else if (l.startsWith('Rss:')) { agg[cur]=(agg[cur]||0)+Number(l.split(/\s+/)[1]); } } return Object.entries(agg).sort((a,b)=>b[1]-a[1]).slice(0,4).map(([k,v])=>`${(v/1024).toFixed(1)} MB ${k}`).join(', '); };
process.on('exit', () => process.stderr.write(`end ${__fmt()}\n${__smaps()}\n`));
const cfg = JSON.parse(process.argv[2]);
// The CLI mode must not load what `llmbatch run` does not load, so the library comes in on demand.
const lib = () => import("../../dist/index.js");

function prompt(i) {
  return `Summarize ticket ${i}: the customer cannot log in after the update and asks for help.`;
}

function pipeline(defaultPipeline) {
  const p = defaultPipeline();
  p.model = cfg.model;
  if (cfg.maxTokens !== undefined) p.params.max_tokens = cfg.maxTokens;
  return p;
}

async function engineMode() {
  const { GenerationEngine, defaultPipeline, loadPriceTable, createProvider } = await lib();
  const starts = [];
  const engine = new GenerationEngine({
    pipeline: pipeline(defaultPipeline),
    provider: (name) =>
      createProvider(name === "ollama" ? { provider: name, baseUrl: cfg.baseUrl } : { provider: name, baseUrl: `${cfg.baseUrl}/v1`, apiKey: "sk-bench" }),
    prices: loadPriceTable(),
    concurrency: cfg.concurrency,
    rpm: cfg.rpm,
    tpm: cfg.tpm,
    observer: { attemptStarted: () => starts.push(performance.now()), attemptFinished: () => {} },
  });
  function* records() {
    for (let i = 1; i <= cfg.records; i++) yield { id: String(i), line: i, prompt: prompt(i), vars: {} };
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
  // Steady rate: attempts started from `skipMs` after the first until the last, which leaves out
  // the first burst (a full bucket) and the tail (nothing left to send).
  const first = starts[0] ?? t0;
  const last = starts[starts.length - 1] ?? t0;
  const from = first + cfg.skipMs;
  const inWindow = starts.filter((t) => t > from).length;
  return {
    ok,
    failed,
    attempts: starts.length,
    wallMs: end - t0,
    steadyPerMin: last > from ? (inWindow / (last - from)) * 60_000 : undefined,
    overallPerMin: (ok / (end - first)) * 60_000,
    meanLatencyMs: sumLatency / Math.max(1, ok + failed),
    rpmLimit: engine.rpmGate.limit,
    tpmLimit: engine.tpmGate.limit,
  };
}

/** The input, generated lazily and honouring backpressure: never in memory as a whole. */
function generatedInput() {
  const stdin = new PassThrough();
  (async () => {
    for (let i = 1; i <= cfg.records; i++) {
      const line = process.env.NOID ? `{"prompt":${JSON.stringify(prompt(i))}}\n` : `{"id":"req-${i}","prompt":${JSON.stringify(prompt(i))}}\n`;
      if (!stdin.write(line)) await new Promise((r) => stdin.once("drain", r));
    }
    stdin.end();
  })();
  return stdin;
}

async function batchMode() {
  const { resolveRunOptions, runBatch } = await lib();
  const stdin = generatedInput();
  const options = resolveRunOptions({ model: cfg.model, concurrency: cfg.concurrency, maxTokens: cfg.maxTokens }, undefined);
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  const t0 = performance.now();
  const { summary } = await runBatch({
    input: "-",
    stdin,
    output: "/dev/null",
    options,
    connections: { openai: { apiKey: "sk-bench", baseUrl: `${cfg.baseUrl}/v1` } },
  });
  clearInterval(sampler);
  return { ok: summary.ok, failed: summary.failed, attempts: summary.attempts, wallMs: performance.now() - t0, sampledPeakRss: peakRss };
}

async function cliMode() {
  const inspector = await import('node:inspector');
  const session = new inspector.Session(); session.connect();
  const post = (m, p) => new Promise((res, rej) => session.post(m, p, (e, r) => e ? rej(e) : res(r)));
  if (process.env.HEAPSAMPLE) await post('HeapProfiler.startSampling', { samplingInterval: 4096, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: process.env.HEAPSAMPLE === 'all' });

  const { main } = await import("../../dist/cli/main.js");
  const summaryFile = join(tmpdir(), `llmbatch-bench-${process.pid}.json`);
  const argv = ["node", "llmbatch", "run", "-", "-o", "/dev/null", "-m", cfg.model, "-c", String(cfg.concurrency), "--max-tokens", String(cfg.maxTokens), "--base-url", `${cfg.baseUrl}/v1`, "--summary", summaryFile];
  // stderr gets the summary table, as in a terminal; it is thrown away here.
  const stderr = new PassThrough();
  stderr.resume();
  const t0 = performance.now();
  const code = await main(argv, { stdin: generatedInput(), stdout: process.stdout, stderr, env: { ...process.env, OPENAI_API_KEY: "sk-bench" } });
  const wallMs = performance.now() - t0;
  if (process.env.HEAPSAMPLE) { const { profile } = await post('HeapProfiler.stopSampling'); writeFileSync('/tmp/promoted.heapprofile', JSON.stringify(profile)); }
  const summary = JSON.parse(readFileSync(summaryFile, "utf8"));
  rmSync(summaryFile);
  return { exitCode: code, ok: summary.ok, failed: summary.failed, attempts: summary.attempts, wallMs };
}

const cpu0 = process.cpuUsage();
const figures = cfg.mode === "engine" ? await engineMode() : cfg.mode === "cli" ? await cliMode() : await batchMode();
const cpu = process.cpuUsage(cpu0);
const maxRssBytes = process.resourceUsage().maxRSS * 1024;
process.stdout.write(`${JSON.stringify({ ...figures, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssBytes })}\n`);
