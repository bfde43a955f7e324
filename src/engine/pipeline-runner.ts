import type { Pipeline } from "../config/pipeline.js";
import type { PipelineStep } from "../config/step-types.js";
import { stepModel } from "../providers/detect.js";
import { roundUsd } from "../cost/prices.js";
import {
  addBackoff,
  addUsage,
  emptyBackoff,
  emptyUsage,
  type ErrorType,
  type GenerationResult,
  type InputRecord,
  type ProviderName,
  type ReplyDetails,
  type ResultError,
  type StepResult,
} from "../types.js";
import { compileCondition, type CompiledCondition } from "../lang/condition.js";
import { prepareConvert } from "./steps/convert.js";
import { prepareEmbed } from "./steps/embed.js";
import { prepareExtract } from "./steps/extract.js";
import { prepareGenerate } from "./steps/generate.js";
import type { PreparedStep, StepDeps } from "./steps/step.js";
import { prepareValidate } from "./steps/validate.js";

/** A pipeline with every template, condition, path and schema compiled and every model resolved: once per run. */
export interface PreparedPipeline {
  pipeline: Pipeline;
  steps: (PreparedStep & { when?: CompiledCondition })[];
  outputStep: string;
  /** Every provider an LLM step calls. */
  providers: ProviderName[];
}

export function preparePipeline(pipeline: Pipeline): PreparedPipeline {
  const steps = pipeline.steps.map((step) => {
    const prepared = prepareStep(step, pipeline);
    return step.when === undefined ? prepared : { ...prepared, when: compileCondition(step.when) };
  });
  const last = pipeline.steps[pipeline.steps.length - 1];
  const providers = [...new Set(steps.flatMap((s) => (s.provider ? [s.provider] : [])))];
  return { pipeline, steps, outputStep: pipeline.output ?? last?.id ?? "", providers };
}

function prepareStep(step: PipelineStep, pipeline: Pipeline): PreparedStep {
  switch (step.method) {
    case "generate": {
      const { provider, model } = stepModel(step, pipeline);
      const onTruncated = step.on_truncated ?? pipeline.on_truncated;
      const modelGiven = step.model !== undefined || pipeline.model !== undefined;
      return prepareGenerate(onTruncated === undefined ? step : { ...step, on_truncated: onTruncated }, provider, model, { ...pipeline.params, ...step.params }, modelGiven);
    }
    case "embed": {
      const { provider, model } = stepModel(step, pipeline);
      return prepareEmbed(step, provider, model);
    }
    case "extract":
      return prepareExtract(step);
    case "convert":
      return prepareConvert(step);
    case "validate":
      return prepareValidate(step);
  }
}

export interface RecordOutcome {
  result: GenerationResult;
  /** No request of this record reached a provider because the run was stopping. */
  notSent: boolean;
}

/**
 * Runs one record through the steps in order. A step is skipped when its `when` is false or its
 * `from` steps have no output; a failed step fails the record and ends it, unless its `on_error`
 * says otherwise. Never throws: every failure is a value in the result.
 */
export async function runRecord(prepared: PreparedPipeline, record: InputRecord, deps: StepDeps): Promise<RecordOutcome> {
  const started = performance.now();
  const stepOutputs: Record<string, { output: unknown }> = {};
  const produced = new Set<string>();
  const scope: Record<string, unknown> = { ...record.vars, id: record.id, steps: stepOutputs };
  const steps: StepResult[] = [];
  const usage = emptyUsage();
  const backoff = emptyBackoff();
  let attempts = 0;
  let cost: number | null = 0;
  // Only records with calls answered from the response cache carry `saved_usd`.
  let saved: number | null | undefined;
  let notSent = true;
  let model: string | undefined;
  let provider: string | undefined;
  let finishReason: string | undefined;
  let details: ReplyDetails | undefined;
  let error: ResultError | undefined;

  for (const p of prepared.steps) {
    const { id } = p.step;
    // Skipped steps read as null: `{{steps.x.output}}` renders empty, `steps.x.output == null` holds.
    stepOutputs[id] = { output: null };
    const from = "from" in p.step ? p.step.from.find((f) => produced.has(f)) : undefined;
    if ((p.when !== undefined && !p.when.evaluate(scope)) || ("from" in p.step && from === undefined)) {
      steps.push({ id, ok: true, skipped: true, ms: 0 });
      continue;
    }
    const outcome = await p.run({ record, scope, value: from === undefined ? undefined : stepOutputs[from]!.output }, deps);
    const r = outcome.result;
    steps.push(r);
    addBackoff(backoff, outcome.backoff);
    attempts += r.attempts ?? 0;
    // A step answered from the cache billed nothing: its tokens stay on the step, out of the record's usage.
    if (r.usage && !r.cached) addUsage(usage, r.usage);
    if (r.cost_usd === null || cost === null) cost = null;
    else cost += r.cost_usd ?? 0;
    if (r.saved_usd !== undefined) saved = saved === null || r.saved_usd === null ? null : (saved ?? 0) + r.saved_usd;
    notSent &&= outcome.notSent;
    if (outcome.providerName !== undefined) {
      model = r.model;
      provider = outcome.providerName;
      // finish_reason, tool calls and choices describe one and the same reply: the last one received.
      if (outcome.finishReason !== undefined) details = outcome.details;
      finishReason = outcome.finishReason ?? finishReason;
    }
    if (r.ok) {
      stepOutputs[id] = { output: r.output };
      produced.add(id);
      continue;
    }
    const onError = p.step.on_error ?? "fail";
    if (onError === "skip") {
      r.skipped = true;
      continue;
    }
    error ??= r.error;
    if (onError === "fail") break;
  }

  // The same key order on both branches, error or output after the steps, as it has always been.
  const totals = { model, provider, usage, cost_usd: roundUsd(cost), attempts, backoff, latency_ms: Math.round(performance.now() - started), steps };
  const result: GenerationResult =
    error === undefined ? { id: record.id, ok: true, ...totals, output: stepOutputs[prepared.outputStep]?.output ?? null } : { id: record.id, ok: false, ...totals, error };
  if (finishReason !== undefined) result.finish_reason = finishReason;
  if (saved !== undefined) result.saved_usd = roundUsd(saved);
  if (details !== undefined) Object.assign(result, details);
  return { result, notSent: error !== undefined && notSent && STOPPED.has(error.type) };
}

/**
 * The errors of a record that sent nothing because the run was stopping, which the engine reports
 * as the stop's `not_attempted` or `budget_exceeded`. A record that could never be sent (a line the
 * provider's check refuses, invalid input, a request larger than the TPM limit) keeps its own
 * error, stop or no stop.
 */
const STOPPED: ReadonlySet<ErrorType> = new Set(["not_attempted", "budget_exceeded"]);
