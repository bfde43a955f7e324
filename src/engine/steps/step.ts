/**
 * What every prepared step looks like to the pipeline runner, whatever its method: compiled once
 * per run, then `run` once per record. Local (non-LLM) steps share the helpers below.
 */
import type { PipelineStep } from "../../config/step-types.js";
import { resultError } from "../../errors.js";
import { emptyBackoff, type BackoffStats, type InputRecord, type Provider, type ProviderName, type ReplyDetails, type StepResult, type Usage } from "../../types.js";
import type { CallContext } from "../llm-call.js";

/** What a step needs from the run: providers, pricing and the shared call context. */
export interface StepDeps {
  call: CallContext;
  provider(name: ProviderName): Provider;
  cost(provider: ProviderName, model: string, usage: Usage): number | null;
  /** A warning for the user (stderr), said once per `key` in a run. */
  warnOnce?(key: string, message: string): void;
}

export interface StepInput {
  record: InputRecord;
  /** Record fields, `id`, and `steps.<id>.output` of the steps so far (templates, conditions). */
  scope: Record<string, unknown>;
  /** The output of the first `from` step that produced one (steps that read an earlier output). */
  value: unknown;
}

export interface StepOutcome {
  result: StepResult;
  /** No request of this step reached a provider (local steps never send one). */
  notSent: boolean;
  /** Set by LLM steps only: the provider they called. */
  providerName?: ProviderName;
  finishReason?: string;
  /** Tool calls, logprobs and further choices of the reply, set with `finishReason`. */
  details?: ReplyDetails;
  backoff: BackoffStats;
}

export interface PreparedStep {
  step: PipelineStep;
  /** The provider an LLM step calls; undefined for local steps. */
  provider?: ProviderName;
  run(input: StepInput, deps: StepDeps): Promise<StepOutcome>;
}

/** Outcome of a local step that produced `output`. */
export function localOk(id: string, started: number, output: unknown): StepOutcome {
  return { result: { id, ok: true, output, ms: elapsed(started) }, notSent: true, backoff: emptyBackoff() };
}

/** Outcome of a local step that failed; `pipeline_step` is the error type of every non-LLM step. */
export function localFailed(id: string, started: number, message: string): StepOutcome {
  return { result: { id, ok: false, error: resultError("pipeline_step", `step "${id}": ${message}`), ms: elapsed(started) }, notSent: true, backoff: emptyBackoff() };
}

export function elapsed(started: number): number {
  return Math.round(performance.now() - started);
}

/** A value as short text for error messages. */
export function preview(value: unknown): string {
  const s = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return s.length > 120 ? `${s.slice(0, 117)}...` : s;
}

/** What kind of request a request line is, for messages; undefined for a plain record. */
export function requestLineKind(record: InputRecord): string | undefined {
  switch (record.body) {
    case "batch":
      return `an OpenAI Batch API request (${record.embedding ? "/v1/embeddings" : "/v1/chat/completions"})`;
    case "chat":
      return "a chat-completions request body";
    case "embeddings":
      return "an embeddings request body";
    default:
      return undefined;
  }
}
