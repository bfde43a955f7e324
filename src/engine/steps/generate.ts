import type { GenerateStep } from "../../config/pipeline.js";
import { resultError } from "../../errors.js";
import { emptyBackoff, type BackoffStats, type ChatMessage, type InputRecord, type LlmParams, type LlmRequest, type Provider, type ProviderName, type StepResult, type Usage } from "../../types.js";
import { callLlm, type CallContext } from "../llm-call.js";
import { compileTemplate, TemplateError, type CompiledTemplate } from "../template.js";

/** A generate step with its templates compiled and its model resolved, once per run. */
export interface PreparedGenerate {
  step: GenerateStep;
  provider: ProviderName;
  model: string;
  params: LlmParams;
  system?: CompiledTemplate;
  prompt?: CompiledTemplate;
  messages?: { role: ChatMessage["role"]; content: CompiledTemplate }[];
}

/** What a step needs from the run: providers, pricing and the shared call context. */
export interface StepDeps {
  call: CallContext;
  provider(name: ProviderName): Provider;
  cost(provider: ProviderName, model: string, usage: Usage): number | null;
}

export function prepareGenerate(step: GenerateStep, provider: ProviderName, model: string, params: LlmParams): PreparedGenerate {
  return {
    step,
    provider,
    model,
    params,
    system: step.system !== undefined ? compileTemplate(step.system) : undefined,
    prompt: step.prompt !== undefined && !step.usesRecordMessages ? compileTemplate(step.prompt) : undefined,
    messages: step.messages?.map((m) => ({ role: m.role, content: compileTemplate(m.content) })),
  };
}

export interface StepOutcome {
  result: StepResult;
  /** The record was never sent because the run stopped first. */
  notSent: boolean;
  providerName: ProviderName;
  finishReason?: string;
  backoff: BackoffStats;
}

export async function runGenerate(p: PreparedGenerate, record: InputRecord, scope: Record<string, unknown>, deps: StepDeps): Promise<StepOutcome> {
  const started = performance.now();
  const model = p.step.usesRecordMessages && record.model ? record.model : p.model;
  const built = buildMessages(p, record, scope);
  if (typeof built === "string") {
    const error = resultError("invalid_input", `line ${record.line}: ${built}`, { line: record.line });
    return { result: { id: p.step.id, ok: false, error, ms: 0, model }, notSent: true, providerName: p.provider, backoff: emptyBackoff() };
  }
  const params = p.step.usesRecordMessages && record.params ? { ...p.params, ...record.params } : p.params;
  const request: LlmRequest = { model, messages: built, params };
  const outcome = await callLlm(deps.provider(p.provider), request, deps.call);
  const ms = Math.round(performance.now() - started);
  if (!outcome.ok) {
    const result: StepResult = { id: p.step.id, ok: false, error: outcome.error, ms, model, attempts: outcome.attempts };
    // A failed call can still have been billed (a content filter stop): keep its tokens and cost.
    if (outcome.usage) {
      result.usage = outcome.usage;
      result.cost_usd = deps.cost(p.provider, model, outcome.usage);
    }
    return {
      result,
      notSent: outcome.notSent,
      providerName: p.provider,
      backoff: outcome.backoff,
    };
  }
  const { response } = outcome;
  return {
    result: {
      id: p.step.id,
      ok: true,
      output: response.text,
      ms,
      model,
      usage: response.usage,
      cost_usd: deps.cost(p.provider, response.model || model, response.usage),
      attempts: outcome.attempts,
    },
    notSent: false,
    providerName: p.provider,
    finishReason: response.finishReason,
    backoff: outcome.backoff,
  };
}

/** The chat messages for this record, or a message saying why they cannot be built. */
export function buildMessages(p: PreparedGenerate, record: InputRecord, scope: Record<string, unknown>): ChatMessage[] | string {
  try {
    const messages: ChatMessage[] = [];
    if (p.system) messages.push({ role: "system", content: p.system.render(scope) });
    if (p.step.usesRecordMessages) {
      if (record.messages) messages.push(...record.messages);
      else if (typeof record.prompt === "string") messages.push({ role: "user", content: record.prompt });
      else return 'the record has neither "prompt" (a string) nor "messages" (a chat array); give one, or use --template';
    }
    for (const m of p.messages ?? []) messages.push({ role: m.role, content: m.content.render(scope) });
    if (p.prompt) messages.push({ role: "user", content: p.prompt.render(scope) });
    return messages;
  } catch (err) {
    if (err instanceof TemplateError) return err.message;
    throw err;
  }
}
