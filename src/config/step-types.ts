/**
 * The typed shape of pipeline steps. Plain data only (strings, numbers, JSON Schema objects), so a
 * pipeline can be cloned, printed and compared; the engine compiles templates, conditions, paths
 * and schemas once per run (`engine/steps/`).
 */
import type { LlmParams, Role } from "../types.js";

/** What a failed step does to its record. */
export const ON_ERROR = ["fail", "skip", "continue"] as const;
export type OnError = (typeof ON_ERROR)[number];

/** What a generate step does with a reply cut off at the output token limit (`finish_reason: length`). */
export const ON_TRUNCATED = ["accept", "fail", "retry"] as const;
export type OnTruncated = (typeof ON_TRUNCATED)[number];

/** Keys every step method accepts. */
export interface StepCommon {
  id: string;
  /** Condition over earlier values (`steps.lang.output != "en"`); false skips the step. */
  when?: string;
  /**
   * `fail`: the record fails and the remaining steps are skipped. `skip`: the failure is kept in
   * the step's result but the record carries on as if the step had been skipped. `continue`: the
   * remaining steps run, and the record still ends failed with this step's error.
   * @default "fail"
   */
  on_error?: OnError;
}

/** Steps that read an earlier step's output. */
export interface FromStep {
  /**
   * Ids of earlier steps; the first that produced an output (was not skipped and did not fail)
   * is used. Written as one id or a list. @default the previous step
   */
  from: string[];
}

/**
 * A step's own per-minute limits for the quotas its calls spend (one per model of an OpenAI-style
 * endpoint), over the run's `--rpm`/`--tpm` and the pipeline's `limits:`.
 */
export interface StepLimits {
  rpm?: number;
  tpm?: number;
}

export interface GenerateStep extends StepCommon {
  method: "generate";
  /** User-message template. Exactly one of `prompt` and `messages` is set in a loaded file. */
  prompt?: string;
  /** System-message template, sent first. */
  system?: string;
  /** Message templates, an alternative to `prompt` (few-shot conversations). */
  messages?: { role: Role; content: string }[];
  /** Overrides the pipeline's model for this step. */
  model?: string;
  /** Merged over the pipeline's params for this step. @default {} */
  params: LlmParams;
  /** Structured output: the reply must be JSON valid against this JSON Schema. */
  schema?: Record<string, unknown>;
  /** Re-asks after an invalid reply (bad JSON or a schema mismatch), with the problem included. @default 1 */
  repair_attempts?: number;
  /** Retries of each LLM call after the first attempt; overrides the run's `--max-retries` for this step. */
  retries?: number;
  /** Per-minute limits of the quotas this step's calls spend, over the run's. */
  limits?: StepLimits;
  /**
   * A reply cut off at the output token limit (`finish_reason: length`). `accept`: kept as the
   * step's output (counted in the summary's `truncated`). `fail`: the step fails with
   * `invalid_response`, code `truncated`, not retried. `retry`: asked once more with `max_tokens`
   * doubled; a second cut-off reply (or no `max_tokens` to raise) fails as with `fail`.
   * @default the pipeline's `on_truncated`, else "accept"
   */
  on_truncated?: OnTruncated;
  /**
   * Set only by `defaultPipeline()`: send the record's own `messages` (or its `prompt` as one user
   * message) instead of rendering a template. Never set from YAML.
   * @default false
   */
  usesRecordMessages?: boolean;
}

/** The vector formats of an embeddings request (`encoding_format`). */
export const ENCODING_FORMATS = ["float", "base64"] as const;

export interface EmbedStep extends StepCommon {
  method: "embed";
  /**
   * Text template to embed: its output is one vector. A list of templates makes one request with
   * all of them, and its output is the list of their vectors, in order.
   */
  input: string | string[];
  /** The embeddings model (`text-embedding-3-small`, `ollama:nomic-embed-text`); the pipeline's chat model is never assumed. */
  model: string;
  /** Length of the vectors, for models that can shorten theirs (text-embedding-3-*). */
  dimensions?: number;
  /** `base64`: each vector is the base64 text of its little-endian float32 values. @default "float" */
  encoding_format?: (typeof ENCODING_FORMATS)[number];
  /** Retries of the call after the first attempt; overrides the run's `--max-retries` for this step. */
  retries?: number;
  /** Per-minute limits of the quotas this step's calls spend, over the run's. */
  limits?: StepLimits;
}

export interface ExtractStep extends StepCommon, FromStep {
  method: "extract";
  /** JSONPath-like path into the (parsed) output: `$`, `$.label`, `$.items[0].name`, `$.tags[*]`. */
  json?: string;
  /** A regular expression; the output is the named group `group`, else the first named group, else group 1, else the match. */
  regex?: string;
  /** Regular-expression flags (`i`, `m`, `s`, `u`). */
  flags?: string;
  /** The named group to take. */
  group?: string;
  /** Text between the first `[start]` and the next `[end]` after it. */
  between?: [string, string];
  /** Nothing found gives a null output instead of a failure. @default false */
  optional?: boolean;
}

/** One deterministic transform of a `convert` step. */
export type ConvertOp =
  | { op: "trim" | "lower" | "upper" | "number" | "boolean" | "string" | "json" }
  | { op: "split"; separator: string }
  | { op: "join"; separator: string }
  | { op: "template"; template: string }
  | { op: "map"; map: Record<string, unknown>; default?: unknown };

export const SIMPLE_OPS = ["trim", "lower", "upper", "number", "boolean", "string", "json"] as const;

export interface ConvertStep extends StepCommon, FromStep {
  method: "convert";
  /** Applied in order; `map:` and `template:` written on the step are shorthands for a one-op list. */
  ops: ConvertOp[];
}

export interface ValidateStep extends StepCommon, FromStep {
  method: "validate";
  /** The value must be valid against this JSON Schema. */
  schema?: Record<string, unknown>;
  /** The value must equal one of these. */
  enum?: unknown[];
}

/** Every step method; each member has one validator in `steps/registry.ts`. */
export type PipelineStep = GenerateStep | EmbedStep | ExtractStep | ConvertStep | ValidateStep;

/** The steps that call a model (and so have a provider, a price and gates to pass). */
export function callsModel(step: PipelineStep): step is GenerateStep | EmbedStep {
  return step.method === "generate" || step.method === "embed";
}
