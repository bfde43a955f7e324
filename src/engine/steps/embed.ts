/**
 * `embed` at run time, in two forms: a pipeline's embed step (its input templates rendered per
 * record), and an embeddings request line run by the default pipeline (its own body, sent as it is).
 * Both call the provider through `callEmbed`: the gates, budget and retries of every LLM call.
 *
 * The output mirrors the API's input: one input (a text, one token array) gives one vector, a list
 * gives the list of vectors in input order. A vector is an array of floats, or its base64 text when
 * the request asked for `encoding_format: "base64"`.
 */
import type { EmbedStep } from "../../config/step-types.js";
import { resultError } from "../../errors.js";
import { emptyBackoff, emptyUsage, isEmbedList, type EmbedRequest, type InputRecord, type ProviderName, type ResultError, type StepResult } from "../../types.js";
import { markCached } from "./generate.js";
import { callEmbed, stepCallContext } from "../llm-call.js";
import { compileTemplate, TemplateError, type CompiledTemplate } from "../../lang/template.js";
import { elapsed, requestLineKind, type PreparedStep, type StepDeps, type StepInput, type StepOutcome } from "./step.js";

/** The step id an embeddings request line is reported under when the default pipeline runs it. */
export const OWN_EMBEDDING_STEP = "embed";

export interface PreparedEmbed extends PreparedStep {
  step: EmbedStep;
  provider: ProviderName;
  model: string;
  /** The compiled input templates: one, or a list (the estimate renders them as a run would). */
  inputs: CompiledTemplate | CompiledTemplate[];
}

export function isPreparedEmbed(p: PreparedStep): p is PreparedEmbed {
  return p.step.method === "embed";
}

export function prepareEmbed(step: EmbedStep, provider: ProviderName, model: string): PreparedEmbed {
  const inputs = typeof step.input === "string" ? compileTemplate(step.input) : step.input.map((t) => compileTemplate(t));
  const p: PreparedEmbed = { step, provider, model, inputs, run: (input, deps) => runEmbedStep(p, input, deps) };
  return p;
}

async function runEmbedStep(p: PreparedEmbed, { record, scope }: StepInput, deps: StepDeps): Promise<StepOutcome> {
  const { step } = p;
  const conflict = ownRequestConflict(step.id, record);
  const input = conflict === undefined ? renderInput(p, scope, record) : invalidInput(record, conflict);
  if (!isInput(input)) return notSent(step.id, p.provider, p.model, input);
  const request: EmbedRequest = { model: p.model, input };
  if (step.dimensions !== undefined) request.dimensions = step.dimensions;
  if (step.encoding_format !== undefined) request.encoding_format = step.encoding_format;
  const call = stepCallContext(step, deps.call);
  return embed(step.id, p.provider, request, record.line, deps, call);
}

/**
 * An embeddings request line (a cookbook body, or a Batch API line for `/v1/embeddings`) under the
 * default pipeline: its own model, input and fields, on the run's provider.
 */
export function runOwnEmbedding(provider: ProviderName, record: InputRecord & { embedding: NonNullable<InputRecord["embedding"]> }, fallbackModel: string, deps: StepDeps): Promise<StepOutcome> {
  return embed(OWN_EMBEDDING_STEP, provider, ownEmbedRequest(record, fallbackModel), record.line, deps, deps.call);
}

/** The request of an embeddings request line: its own model (else `fallbackModel`), input and fields. */
export function ownEmbedRequest(record: InputRecord & { embedding: NonNullable<InputRecord["embedding"]> }, fallbackModel: string): EmbedRequest {
  const request: EmbedRequest = { model: record.model || fallbackModel, ...record.embedding };
  if (record.extra) request.extra = record.extra;
  return request;
}

async function embed(stepId: string, providerName: ProviderName, request: EmbedRequest, line: number, deps: StepDeps, call: StepDeps["call"]): Promise<StepOutcome> {
  const started = performance.now();
  const provider = deps.provider(providerName);
  const { model } = request;
  // A field the provider has no equivalent for fails the record before it waits at any gate.
  const refused = provider.checkEmbed?.(request);
  if (refused !== undefined) return notSent(stepId, providerName, model, resultError("bad_request", `line ${line}: ${refused}`, { retriable: false }));
  const outcome = await callEmbed(provider, request, call);
  // What was billed: the answer's usage, or what a failed call was still charged (none known for embeddings today).
  const billed = outcome.ok ? outcome.response.usage : outcome.usage;
  const cost = billed === undefined ? 0 : deps.cost(provider.name, (outcome.ok && outcome.response.model) || model, billed);
  const totals = { ms: elapsed(started), model, usage: billed ?? emptyUsage(), cost_usd: outcome.ok && outcome.cached ? 0 : cost, attempts: outcome.attempts };
  if (!outcome.ok) return { result: { id: stepId, ok: false, ...totals, error: outcome.error }, notSent: outcome.notSent, providerName, backoff: outcome.backoff };
  // As the API takes it: one input (a text, a token array) gives one vector, a list gives a list.
  const output = isEmbedList(request.input) ? outcome.response.embeddings : outcome.response.embeddings[0];
  const batch = outcome.response.batch;
  const result: StepResult = { id: stepId, ok: true, ...totals, output, ...(batch ? { batch } : {}) };
  if (outcome.cached) markCached(result, true, cost);
  return { result, notSent: false, providerName, backoff: outcome.backoff };
}

function renderInput(p: PreparedEmbed, scope: Record<string, unknown>, record: InputRecord): string | string[] | ResultError {
  try {
    return Array.isArray(p.inputs) ? p.inputs.map((t) => t.render(scope)) : p.inputs.render(scope);
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    // A value missing from an earlier step's output is the pipeline's problem, not the input line's.
    if (err.missing.startsWith("steps.")) return resultError("pipeline_step", `step "${p.step.id}": ${err.message.replace("from the record", "from an earlier step's output")}`);
    return invalidInput(record, err.message);
  }
}

/**
 * A request line (chat or embeddings body, Batch API line) brings its own model and input, which a
 * step that renders its own would replace silently: as with generate steps, it is refused instead.
 */
export function ownRequestConflict(stepId: string, record: InputRecord): string | undefined {
  const kind = requestLineKind(record);
  if (kind === undefined) return undefined;
  return `the line is ${kind} with its own model and parameters, but step "${stepId}" embeds its own input; run request files without -p, so each line is sent as it is`;
}

function isInput(value: string | string[] | ResultError): value is string | string[] {
  return typeof value === "string" || Array.isArray(value);
}

function invalidInput(record: InputRecord, message: string): ResultError {
  return resultError("invalid_input", `line ${record.line}: ${message}`, { line: record.line });
}

function notSent(id: string, providerName: ProviderName, model: string, error: ResultError): StepOutcome {
  return { result: { id, ok: false, error, ms: 0, model }, notSent: true, providerName, backoff: emptyBackoff() };
}
