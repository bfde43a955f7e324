import type { Pipeline } from "../config/pipeline.js";
import { DEFAULT_MODEL } from "../config/run-options.js";
import { resolveModel } from "../providers/detect.js";
import { addBackoff, addUsage, emptyBackoff, emptyUsage, type GenerationResult, type InputRecord, type StepResult } from "../types.js";
import { prepareGenerate, runGenerate, type PreparedGenerate, type StepDeps } from "./steps/generate.js";

/** A pipeline with every template compiled and every model resolved: done once per run. */
export interface PreparedPipeline {
  pipeline: Pipeline;
  steps: PreparedGenerate[];
  outputStep: string;
}

export function preparePipeline(pipeline: Pipeline): PreparedPipeline {
  const steps = pipeline.steps.map((step) => {
    const spec = step.model ?? pipeline.model ?? DEFAULT_MODEL;
    const { provider, model } = resolveModel(spec, pipeline.provider);
    return prepareGenerate(step, provider, model, { ...pipeline.params, ...step.params });
  });
  const last = pipeline.steps[pipeline.steps.length - 1];
  return { pipeline, steps, outputStep: pipeline.output ?? last?.id ?? "" };
}

export interface RecordOutcome {
  result: GenerationResult;
  /** No request of this record reached a provider because the run was stopping. */
  notSent: boolean;
}

/**
 * Runs one record through every step. Steps after a failed one are skipped. Never throws:
 * every failure is a value in the result.
 */
export async function runRecord(prepared: PreparedPipeline, record: InputRecord, deps: StepDeps): Promise<RecordOutcome> {
  const started = performance.now();
  const stepOutputs: Record<string, { output: unknown }> = {};
  const scope: Record<string, unknown> = { ...record.vars, id: record.id, steps: stepOutputs };
  const steps: StepResult[] = [];
  const usage = emptyUsage();
  const backoff = emptyBackoff();
  let attempts = 0;
  let cost: number | null = 0;
  let notSent = true;
  let model: string | undefined;
  let provider: string | undefined;
  let finishReason: string | undefined;

  for (const step of prepared.steps) {
    const outcome = await runGenerate(step, record, scope, deps);
    const r = outcome.result;
    steps.push(r);
    addBackoff(backoff, outcome.backoff);
    attempts += r.attempts ?? 0;
    if (r.usage) addUsage(usage, r.usage);
    if (r.cost_usd === null || cost === null) cost = null;
    else cost += r.cost_usd ?? 0;
    notSent &&= outcome.notSent;
    model = r.model;
    provider = outcome.providerName;
    finishReason = outcome.finishReason ?? finishReason;
    stepOutputs[r.id] = { output: r.output };
    if (!r.ok) break;
  }

  const failed = steps.find((s) => !s.ok);
  const result: GenerationResult = {
    id: record.id,
    ok: failed === undefined,
    model,
    provider,
    usage,
    cost_usd: cost,
    attempts,
    backoff,
    latency_ms: Math.round(performance.now() - started),
    steps,
  };
  if (failed) result.error = failed.error;
  else result.output = stepOutputs[prepared.outputStep]?.output;
  if (finishReason !== undefined) result.finish_reason = finishReason;
  return { result, notSent: notSent && failed?.error?.type !== "invalid_input" };
}
