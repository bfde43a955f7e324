/**
 * Several `bin/llmbatch.js run` processes on one key against one simulator (the --redis
 * end-to-end tests): each gets its own shard of records; the simulator's own counts are sampled
 * while they run, so the rate it admitted over the busy period can be set against its limit.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { type CliRun, jsonl, okCountById, readJsonlFile, startCli, writeTemp } from "./cli.js";

export interface Shard {
  input: string;
  output: string;
  summary: string;
  ids: string[];
}

/** `k` input files of `perShard` records each (ids `s<k>-<i>`), with their output and summary paths. */
export function writeShards(dir: string, k: number, perShard: number): Shard[] {
  return Array.from({ length: k }, (_, s) => {
    const ids = Array.from({ length: perShard }, (_, i) => `s${s}-${i}`);
    const input = writeTemp(dir, `in-${s}.jsonl`, jsonl(ids.map((id) => ({ id, prompt: `Summarize ticket ${id}: the customer cannot log in after the update.` }))));
    return { input, output: join(dir, `out-${s}.jsonl`), summary: join(dir, `summary-${s}.json`), ids };
  });
}

export interface ShardProcess {
  shard: Shard;
  child: ReturnType<typeof startCli>["child"];
  done: Promise<CliRun>;
}

/** Starts one `run` per shard with the same extra arguments and environment. */
export function startShards(shards: Shard[], args: string[], env: Record<string, string>): ShardProcess[] {
  return shards.map((shard) => {
    const { child, done } = startCli(["run", shard.input, "-o", shard.output, "--summary", shard.summary, "--no-progress", "-m", "gpt-4o-mini", ...args], { env });
    return { shard, child, done };
  });
}

/** The simulator's request and 429 counts, `every` ms, until `stop()`. */
export function sampleSimulator(sim: SimulatorHandle, every = 50): { samples: Sample[]; stop(): void } {
  const samples: Sample[] = [];
  const take = () => {
    const s = sim.stats();
    samples.push({ t: performance.now(), requests: s.requests, rateLimited: s.rateLimited });
  };
  take();
  const timer = setInterval(take, every);
  return {
    samples,
    stop: () => {
      clearInterval(timer);
      take();
    },
  };
}

export interface Sample {
  t: number;
  requests: number;
  rateLimited: number;
}

/**
 * Requests the simulator admitted (its requests less its 429s) per minute over the busy period,
 * as a fraction of `limitPerMin`. The busy period starts `skipMs` after the first request (the
 * server's full bucket lets a first burst through at once, which would flatter the figure) and
 * ends when 90 % of the final admitted count was reached (the tail, where the shards run dry,
 * would understate it).
 */
export function admittedRatio(samples: Sample[], limitPerMin: number, skipMs = 2_000): number {
  const admitted = (s: Sample) => s.requests - s.rateLimited;
  const first = samples.find((s) => s.requests > 0);
  if (first === undefined) return 0;
  const total = admitted(samples.at(-1)!);
  const from = samples.find((s) => s.t >= first.t + skipMs);
  const to = samples.find((s) => admitted(s) >= 0.9 * total);
  if (from === undefined || to === undefined || to.t <= from.t) throw new Error(`the busy period is too short to measure (${Math.round((samples.at(-1)!.t - first.t) / 1000)} s)`);
  const perMin = ((admitted(to) - admitted(from)) / (to.t - from.t)) * 60_000;
  return perMin / limitPerMin;
}

/** Admitted requests per minute between two moments (`performance.now()`), as a fraction of `limitPerMin`. */
export function admittedRatioBetween(samples: Sample[], limitPerMin: number, fromT: number, toT: number): number {
  const admitted = (s: Sample) => s.requests - s.rateLimited;
  const from = samples.find((s) => s.t >= fromT);
  const to = samples.findLast((s) => s.t <= toT);
  if (from === undefined || to === undefined || to.t <= from.t) throw new Error("no samples between the two moments");
  return ((admitted(to) - admitted(from)) / (to.t - from.t) / limitPerMin) * 60_000;
}

/** Every shard's results: each id exactly one line, and ok. Returns the lines' count and the ids not ok once. */
export function checkShardResults(shards: Shard[]): { lines: number; notOkOnce: string[] } {
  let lines = 0;
  const notOkOnce: string[] = [];
  for (const shard of shards) {
    const results = readJsonlFile(shard.output);
    lines += results.length;
    const ok = okCountById(results);
    for (const id of shard.ids) if (ok.get(id) !== 1) notOkOnce.push(`${id}: ${ok.get(id) ?? 0} ok lines`);
    for (const r of results) if (!shard.ids.includes(r.id)) notOkOnce.push(`${r.id}: not in the shard's input`);
  }
  return { lines, notOkOnce };
}

export function readSummary(shard: Shard): Record<string, any> {
  return JSON.parse(readFileSync(shard.summary, "utf8"));
}
