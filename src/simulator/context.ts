/**
 * The state one simulator instance shares across routes, built once from the options,
 * and the per-request decisions both protocols make the same way: latency, and whether
 * this attempt fails (a `[[sim:fail:N]]` directive first, then the random faults).
 */
import type { ServerResponse } from "node:http";
import type { BatchApi } from "./batch-api.js";
import type { AttemptCounter, Directives, FailKind } from "./directives.js";
import { type FaultDrawer, resetConnection } from "./faults.js";
import type { ModelCatalog } from "./models.js";
import type { ModelQueue } from "./ollama-queue.js";
import type { RateLimiter } from "./rate-limiter.js";
import type { Rng } from "./rng.js";
import type { FaultKind, StatsRecorder } from "./stats.js";

export interface SimContext {
  seed: number;
  apiKey: string | undefined;
  defaultMaxOutput: number;
  latencyMs: readonly [number, number];
  catalog: ModelCatalog;
  stats: StatsRecorder;
  limiter: RateLimiter;
  faults: FaultDrawer;
  /** Separate from the fault stream so that turning latency on does not move the faults. */
  latencyRng: Rng;
  attempts: AttemptCounter;
  /** The Ollama scheduler queue of a model family. */
  queue(family: string): ModelQueue;
  /** Files and Batches (set right after the context is built: the batch clock needs the context). */
  batch: BatchApi;
}

/** What an admitted request turns into. `rate_limited` only comes from `[[sim:fail:N:429]]`. */
export type Outcome = "ok" | FaultKind | "rate_limited";

const FAIL_KIND_OUTCOME: Readonly<Record<FailKind, Outcome>> = {
  "500": "server500",
  "503": "overloaded503",
  reset: "reset",
  hang: "hang",
  truncated: "truncated",
  "429": "rate_limited",
};

/**
 * Decides the fate of an admitted attempt. The random draw happens on every call, even
 * when a directive decides, so the fault sequence depends only on the request order.
 */
export function decideOutcome(ctx: SimContext, directives: Directives | undefined, contentKey: string): Outcome {
  const random = ctx.faults.draw();
  const fail = directives?.fail;
  if (fail && ctx.attempts.next(`fail\u0000${contentKey}`) <= fail.times) return FAIL_KIND_OUTCOME[fail.kind];
  return random ?? "ok";
}

/**
 * The faults that leave a request without any answer (a hang, a reset): recorded and done here,
 * true when `outcome` is one of them.
 */
export function brokeTransport(ctx: SimContext, res: ServerResponse, outcome: Outcome): boolean {
  if (outcome === "hang") {
    ctx.stats.fault("hang");
    return true;
  }
  if (outcome === "reset") {
    ctx.stats.fault("reset");
    resetConnection(res);
    return true;
  }
  return false;
}

/** True when this attempt should get broken JSON (`[[sim:invalid_json:N]]`). */
export function wantsInvalidJson(ctx: SimContext, directives: Directives | undefined, contentKey: string): boolean {
  const times = directives?.invalidJson;
  return times !== undefined && ctx.attempts.next(`invalid_json\u0000${contentKey}`) <= times;
}

export function drawLatency(ctx: SimContext, directives: Directives | undefined): number {
  if (directives?.latencyMs !== undefined) return directives.latencyMs;
  const [min, max] = ctx.latencyMs;
  if (max <= 0) return 0;
  return min + ctx.latencyRng() * (max - min);
}
