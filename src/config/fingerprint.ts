import { createHash } from "node:crypto";
import type { Pipeline } from "./pipeline.js";
import { stepModel } from "../providers/detect.js";
import { callsModel } from "./step-types.js";

/** What produced a results file, as far as the results depend on it. */
export interface RunIdentity {
  /** sha256 over the pipeline's content (steps, prompts, models, params, output), hex. */
  fingerprint: string;
  /** For messages: the pipeline's name and the models its steps use (`provider:model`). */
  pipeline: string;
  models: string[];
}

/**
 * Identifies the run configuration that shapes each record's result: every step (templates,
 * per-step models and params), the top-level model, provider, params and `on_truncated`, and the
 * output step, after flags (`--model`, `--template`, `--max-tokens`, `--temperature`) were applied.
 *
 * Left out on purpose, because they change how fast results come, not what they are: limits and
 * concurrency, retries and timeouts, the base URL (a proxy or a mirror of the same model), the
 * pipeline's name and file path.
 */
export function runIdentity(pipeline: Pipeline): RunIdentity {
  const models = pipeline.steps.flatMap((step) => {
    if (!callsModel(step)) return [];
    const { provider, model } = stepModel(step, pipeline);
    return `${provider}:${model}`;
  });
  // `mode: batch` is part of what produced the results (their prices, their batch ids); absent for a
  // synchronous run, so the fingerprints of results files written before batches existed still hold.
  const mode = pipeline.mode === "batch" ? "batch" : undefined;
  const content = { models, params: pipeline.params, steps: pipeline.steps.map(withoutLimits), output: pipeline.output ?? null, on_truncated: pipeline.on_truncated, mode };
  return {
    fingerprint: createHash("sha256").update(canonicalJson(content)).digest("hex"),
    pipeline: pipeline.name,
    models: [...new Set(models)],
  };
}

/** A step's own `limits:` change how fast results come, not what they are. */
function withoutLimits(step: Pipeline["steps"][number]): object {
  if (!("limits" in step)) return step;
  const { limits: _limits, ...rest } = step;
  return rest;
}

/** JSON with object keys sorted at every level, so key order in the YAML does not matter. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(",")}]`;
  if (typeof value === "object" && value !== null) {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
