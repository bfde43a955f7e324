/**
 * `generate` at run time: render the messages, call the model through `callLlm` (gates, retries),
 * and, with a `schema`, parse and validate the reply, re-asking with the problem included up to
 * `repair_attempts` times.
 */
import type { GenerateStep } from "../../config/step-types.js";
import { resultError } from "../../errors.js";
import { roundUsd } from "../../cost/prices.js";
import {
  addBackoff,
  addUsage,
  emptyBackoff,
  emptyUsage,
  type ChatMessage,
  type InputRecord,
  type LlmParams,
  type LlmRequest,
  type ProviderName,
  type ResultError,
  type StepResult,
} from "../../types.js";
import { compileTemplate, TemplateError, type CompiledTemplate, type TemplatePlaceholder } from "../../lang/template.js";
import { runOwnEmbedding } from "./embed.js";
import { structuredOutput, type StructuredOutput } from "./structured-output.js";
import { callUnderTruncationPolicy } from "./truncation.js";
import { stepCallContext } from "../llm-call.js";
import { elapsed, requestLineKind, type PreparedStep, type StepDeps, type StepInput, type StepOutcome } from "./step.js";

/** Why a record cannot be sent by the default pipeline; `--strict` reports the same words. */
export const NO_PROMPT = 'the record has neither "prompt" (a string) nor "messages" (a chat array); give one, or use --template';

/**
 * `NO_PROMPT` for this record. A line with `input` but no `model` is most likely an embeddings
 * request missing its model: a template would run it as a chat prompt instead, so say that.
 */
export function noPromptMessage(record: InputRecord): string {
  if (record.vars.input === undefined) return NO_PROMPT;
  return `${NO_PROMPT}; a line with "input" is an embeddings request only when it names its "model" too ({"model": "text-embedding-3-small", "input": …})`;
}

/** Why a record cannot be sent as its own prompt or messages, or undefined when it can (`--strict` says the same). */
export function ownPromptProblem(record: InputRecord): string | undefined {
  if (record.messages !== undefined && record.prompt !== undefined) return BOTH_PROMPT_AND_MESSAGES;
  if (record.messages === undefined && record.prompt === undefined) return noPromptMessage(record);
  return undefined;
}

/** Sending one of the two would drop the other unseen. */
const BOTH_PROMPT_AND_MESSAGES =
  'the record has both "prompt" and "messages", and only one can be sent as it is (the other would be dropped); give one of them, or use --template to build the prompt from both';

/** A generate step with its templates compiled and its model resolved, once per run. */
export interface PreparedGenerate extends PreparedStep {
  step: GenerateStep;
  provider: ProviderName;
  model: string;
  params: LlmParams;
  /** The compiled message templates (the estimate renders them as a run would). */
  templates: Templates;
  /** The templates read the record's `messages` (`{{messages}}`): then those are data, not a conversation. */
  readsMessages: boolean;
  /** `model` was asked for (`--model`, the pipeline's or the step's), not the built-in default. */
  modelGiven: boolean;
}

export function isPreparedGenerate(p: PreparedStep): p is PreparedGenerate {
  return p.step.method === "generate";
}

export function prepareGenerate(step: GenerateStep, provider: ProviderName, model: string, params: LlmParams, modelGiven: boolean): PreparedGenerate {
  const system = step.system !== undefined ? compileTemplate(step.system) : undefined;
  const prompt = step.prompt !== undefined && !step.usesRecordMessages ? compileTemplate(step.prompt) : undefined;
  const messages = step.messages?.map((m) => ({ role: m.role, content: compileTemplate(m.content) }));
  const structured = step.schema !== undefined ? structuredOutput(step.id, step.schema) : undefined;
  const sent: LlmParams = structured ? { ...params, response_format: structured.responseFormat } : params;
  const templates: Templates = { system, prompt, messages };
  const placeholders = [system, prompt, ...(messages ?? []).map((m) => m.content)].flatMap((t) => t?.placeholders ?? []);
  const p: PreparedGenerate = {
    step,
    provider,
    model,
    params: sent,
    templates,
    readsMessages: readsRecordMessages(placeholders),
    modelGiven,
    run: (input, deps) => runGenerate(p, templates, structured, input, deps),
  };
  return p;
}

export interface Templates {
  system?: CompiledTemplate;
  prompt?: CompiledTemplate;
  messages?: { role: ChatMessage["role"]; content: CompiledTemplate }[];
}

async function runGenerate(p: PreparedGenerate, t: Templates, structured: StructuredOutput | undefined, { record, scope }: StepInput, deps: StepDeps): Promise<StepOutcome> {
  const started = performance.now();
  const { step } = p;
  // The default pipeline sends each line's own request, whichever endpoint its shape asks for.
  if (step.usesRecordMessages && record.embedding !== undefined) {
    warnOwnModel(p, record, deps);
    return runOwnEmbedding(p.provider, { ...record, embedding: record.embedding }, p.model, deps);
  }
  const { model, params, extra } = requestSettings(p, record);
  const built = buildMessages(p, t, record, scope);
  const notSent = (error: ResultError): StepOutcome => ({ result: { id: step.id, ok: false, error, ms: 0, model }, notSent: true, providerName: p.provider, backoff: emptyBackoff() });
  if (!Array.isArray(built)) return notSent(built);
  const call = stepCallContext(step, deps.call);
  const provider = deps.provider(p.provider);
  const request = (messages: ChatMessage[]): LlmRequest => (extra ? { model, messages, params, extra } : { model, messages, params });
  // A field the provider has no equivalent for fails the record before it waits at any gate.
  const refused = provider.check?.(request(built));
  if (refused !== undefined) return notSent(resultError("bad_request", `line ${record.line}: ${refused}`, { retriable: false }));
  warnOwnModel(p, record, deps);
  const repairAttempts = step.repair_attempts ?? 1;

  const usage = emptyUsage();
  const backoff = emptyBackoff();
  let attempts = 0;
  let calls = 0;
  let cost: number | null = 0;
  // Calls answered from the response cache: their cost is what they saved, not what was paid.
  let saved: number | null = 0;
  let hits = 0;
  // After a truncation retry raised the output limit, the step's re-asks keep the raised limit.
  let next = request(built);
  for (let repairs = 0; ; repairs++) {
    const { outcome, finishReason, calls: made, request: sent } = await callUnderTruncationPolicy(step.id, step.on_truncated ?? "accept", provider, next, call);
    calls += made;
    attempts += outcome.attempts;
    addBackoff(backoff, outcome.backoff);
    const result = (end: { ok: true; output: unknown } | { ok: false; error: ResultError }): StepOutcome => {
      const totals = { ms: elapsed(started), model, usage, cost_usd: cost, attempts };
      const r: StepResult = end.ok ? { id: step.id, ok: true, ...totals, output: end.output } : { id: step.id, ok: false, ...totals, error: end.error };
      if (repairs > 0) r.repairs = repairs;
      if (finishReason !== undefined) r.finish_reason = finishReason;
      if (hits > 0) markCached(r, hits === calls, saved);
      if (outcome.ok && outcome.response.batch) r.batch = outcome.response.batch;
      return { result: r, notSent: !end.ok && outcome.ok === false && outcome.notSent && repairs === 0, providerName: p.provider, backoff, finishReason };
    };
    if (!outcome.ok) {
      // A failed call can still have been billed (a content filter stop): keep its tokens and cost.
      if (outcome.usage) {
        addUsage(usage, outcome.usage);
        cost = addCost(cost, deps.cost(provider.name, model, outcome.usage));
      }
      return result({ ok: false, error: outcome.error });
    }

    const { response } = outcome;
    addUsage(usage, response.usage);
    const price = deps.cost(provider.name, response.model || model, response.usage);
    if (outcome.cached) {
      hits += made;
      saved = addCost(saved, price);
    } else cost = addCost(cost, price);
    if (structured === undefined) return withDetails(result({ ok: true, output: response.text }), response.details);

    const checked = structured.check(response.text, response.finishReason);
    if (checked.ok) return withDetails(result({ ok: true, output: checked.value }), response.details);
    if (repairs >= repairAttempts) {
      const error = resultError("invalid_response", `step "${step.id}": the reply ${checked.problem} (after ${calls} call${calls === 1 ? "" : "s"}, ${repairs} repair${repairs === 1 ? "" : "s"})`, {
        code: checked.code,
        retriable: false,
      });
      return result({ ok: false, error });
    }
    next = { ...sent, messages: [...sent.messages, { role: "assistant", content: response.text }, { role: "user", content: structured.repairPrompt(checked.problem) }] };
  }
}

/** Without a model asked for, a line's own is simply the one to use; against one, say so once. */
function warnOwnModel(p: PreparedGenerate, record: InputRecord, deps: StepDeps): void {
  if (p.modelGiven && record.model !== undefined && record.model !== p.model) {
    deps.warnOnce?.(
      "own-model",
      `line ${record.line} names its own model "${record.model}", which is sent instead of "${p.model}": a line's own model wins over --model (other lines may name theirs too)`,
    );
  }
}

/**
 * The model, params and other body fields of this record's call. A record that brings its own
 * conversation (a request body, `messages`) brings its own model and parameters too: they win over
 * the step's, which fill in only what the record leaves unset.
 */
export function requestSettings(p: PreparedGenerate, record: InputRecord): { model: string; params: LlmParams; extra?: Record<string, unknown> } {
  if (!p.step.usesRecordMessages) return { model: p.model, params: p.params };
  const params = record.params ? { ...p.params, ...record.params } : p.params;
  return record.extra ? { model: record.model || p.model, params, extra: record.extra } : { model: record.model || p.model, params };
}

/**
 * Whether placeholders read the record's `messages` field: their first segment names it, however
 * the path is spelled (`{{messages}}`, `{{messages[0].content}}`, `{{["messages"]}}`).
 */
export function readsRecordMessages(placeholders: readonly Pick<TemplatePlaceholder, "segments">[]): boolean {
  return placeholders.some((p) => p.segments[0] === "messages");
}

/**
 * Why a step that renders its own prompt cannot take this record, or undefined. A request body
 * (its own messages, model and parameters) or a record's own `messages` the templates do not read
 * would otherwise be replaced silently; guessing an order to merge them in would be no better.
 */
export function ownMessagesConflict(stepId: string, readsMessages: boolean, record: InputRecord): string | undefined {
  const by = `step "${stepId}" builds its own prompt (--template, or the pipeline's prompt or messages)`;
  const kind = requestLineKind(record);
  if (kind !== undefined) {
    return `the line is ${kind} with its own ${record.embedding ? "input" : "messages"}, model and parameters, but ${by}; run request files without --template and -p, so each line is sent as it is`;
  }
  if (record.messages !== undefined && !readsMessages) {
    return `the record has its own "messages", but ${by} and would drop them; run without the template to send them as they are, or read them in it as {{messages}}`;
  }
  return undefined;
}

/** A step some of whose calls the response cache answered: `cached` when all were, and what they saved. */
export function markCached(r: StepResult, all: boolean, saved: number | null): void {
  if (all) r.cached = true;
  r.saved_usd = saved;
}

/** A running cost: null (unpriced) once any part is, rounded so float noise stays out of the output. */
function addCost(total: number | null, part: number | null): number | null {
  return total === null || part === null ? null : roundUsd(total + part);
}

/** The chat messages for this record, or the error saying why they cannot be built. */
export function buildMessages(p: PreparedGenerate, t: Templates, record: InputRecord, scope: Record<string, unknown>): ChatMessage[] | ResultError {
  try {
    const messages: ChatMessage[] = [];
    if (t.system) messages.push({ role: "system", content: t.system.render(scope) });
    if (p.step.usesRecordMessages) {
      const problem = ownPromptProblem(record);
      if (problem !== undefined) return invalidInput(record, problem);
      if (record.messages) messages.push(...record.messages);
      else messages.push({ role: "user", content: record.prompt! });
    } else {
      const conflict = ownMessagesConflict(p.step.id, p.readsMessages, record);
      if (conflict !== undefined) return invalidInput(record, conflict);
    }
    for (const m of t.messages ?? []) messages.push({ role: m.role, content: m.content.render(scope) });
    if (t.prompt) messages.push({ role: "user", content: t.prompt.render(scope) });
    return messages;
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    // A value missing from an earlier step's output is the pipeline's problem, not the input line's.
    if (err.missing.startsWith("steps.")) return resultError("pipeline_step", `step "${p.step.id}": ${err.message.replace("from the record", "from an earlier step's output")}`);
    return invalidInput(record, err.message);
  }
}

function invalidInput(record: InputRecord, message: string): ResultError {
  return resultError("invalid_input", `line ${record.line}: ${message}`, { line: record.line });
}

/** A successful step's outcome with the reply's tool calls, logprobs and other choices, when it had any. */
function withDetails(o: StepOutcome, details: StepOutcome["details"]): StepOutcome {
  return details === undefined ? o : { ...o, details };
}
