/**
 * Pipeline files: the typed shape, and loading YAML into it with every problem reported together
 * at its `file:line:column`.
 */
import { DELIMITER_RULE, parseDelimiter } from "../io/input-sniff.js";
import { ENCODING_NAMES, parseEncoding, isEncodingName, type InputEncoding } from "../io/text-encoding.js";
import { providerNames } from "../providers/detect.js";
import type { LlmParams, ProviderName } from "../types.js";
import { ConfigError, readConfigText, type ConfigProblem } from "./config-error.js";
import { checkModelPrefixes, readBaseUrl, readEndpoints, stepModelFields, type Endpoint, type ModelField } from "./endpoints.js";
import { readLimits, readParams } from "./params.js";
import { readPriceEntries, type PriceOverrides } from "./price-overrides.js";
import { readSteps } from "./parse-steps.js";
import { didYouMean } from "./suggest.js";
import { ON_TRUNCATED, type GenerateStep, type OnTruncated, type PipelineStep } from "./step-types.js";
import { ConfigReader, parseYamlText, yamlErrorMessage, type Field } from "./yaml-reader.js";

export type { Endpoint } from "./endpoints.js";
export type { ConvertOp, ConvertStep, EmbedStep, ExtractStep, GenerateStep, OnError, OnTruncated, PipelineStep, StepCommon, ValidateStep } from "./step-types.js";

/** Client-side rate limits. Absent means "not limited by us" (the provider may still limit). */
export interface Limits {
  /** Requests per minute. */
  rpm?: number;
  /** Tokens per minute (prompt estimate + max output tokens). */
  tpm?: number;
  /** Requests in flight at once. @default 16 (see `resolveRunOptions`) */
  concurrency?: number;
}

/** How the pipeline's input files are read, when the command line does not say (`--delimiter`, `--encoding`). */
export interface InputSettings {
  /** The CSV cell delimiter, one character; JSON Lines input ignores it. @default sniffed from the header row (a tab for .tsv) */
  delimiter?: string;
  /** The input's text encoding (a byte order mark decides over it). @default "utf-8" */
  encoding?: InputEncoding;
}

export interface Pipeline {
  name: string;
  /**
   * Where model names without a prefix go: a provider kind, or one of `endpoints`.
   * Absent: detected from the model name by the providers module.
   */
  provider?: ProviderName;
  model?: string;
  /** An OpenAI-compatible (or Ollama) endpoint instead of the provider's default. */
  base_url?: string;
  /** Named endpoints, used as model prefixes (`model: local:llama3`); each is its own connection and quota. */
  endpoints?: Record<string, Endpoint>;
  /** @default {} */
  params: LlmParams;
  /** @default {} */
  limits: Limits;
  steps: PipelineStep[];
  /** Id of the step whose output becomes the record's output. Absent: the last step. */
  output?: string;
  /** Prices (USD per 1M tokens) that replace or add to the bundled table for this pipeline. */
  prices?: PriceOverrides;
  /** The default `on_truncated` of every generate step (see `GenerateStep.on_truncated`). @default "accept" */
  on_truncated?: OnTruncated;
  /** How input files are read. @default {} */
  input?: InputSettings;
  /** `cache: true`: answer repeated requests from the response cache (`--cache`; `--no-cache` wins). @default false */
  cache?: boolean;
  /** `batch`: every LLM call goes through the provider's Batch API (as `--batch`). @default "sync" */
  mode?: RunMode;
  /** The file it was loaded from, for messages. */
  file?: string;
}

const TOP_KEYS = ["name", "provider", "model", "base_url", "endpoints", "params", "limits", "steps", "output", "prices", "on_truncated", "input", "cache", "mode"] as const;

export type RunMode = "sync" | "batch";
const RUN_MODES = ["sync", "batch"] as const;
const INPUT_KEYS = ["delimiter", "encoding"] as const;

/** Parses and validates pipeline YAML. Throws `ConfigError` listing every problem. */
export function parsePipeline(text: string, file: string): Pipeline {
  const { doc, lines } = parseYamlText(text);
  if (doc.errors.length > 0) {
    // After a syntax error the tree is a guess; checking its shape would report phantom problems.
    throw new ConfigError(
      doc.errors.map((e) => {
        const { line, col } = lines.linePos(e.pos[0]);
        return { message: `${yamlErrorMessage(e)}${duplicateKeyHint(e.code, text, e.pos[0])}`, file, line, column: col };
      }),
    );
  }
  const r = new ConfigReader(file, text, doc, lines);
  const root = r.deref(doc.contents);
  if (root === null) {
    throw new ConfigError([{ message: 'pipeline file is empty; expected a mapping with "name" and "steps"', file, line: 1, column: 1 }]);
  }
  const fields = r.map(root, "pipeline", "", TOP_KEYS);
  if (fields === undefined) throw new ConfigError(r.problems);
  r.requireKeys(fields, root, "pipeline", ["name", "steps"]);

  const pipeline: Pipeline = { name: "", params: {}, limits: {}, steps: [], file };
  let output: Field | undefined;
  let provider: Field | undefined;
  const models: ModelField[] = [];
  let stepIds: ReadonlySet<string> = new Set();
  for (const f of fields.values()) {
    switch (f.name) {
      case "name":
        pipeline.name = r.string(f, { nonEmpty: true }) ?? "";
        break;
      case "provider":
        provider = f;
        break;
      case "model":
        setIfDefined(pipeline, "model", r.string(f, { nonEmpty: true }));
        if (pipeline.model !== undefined) models.push({ path: f.path, node: f.value, spec: pipeline.model });
        break;
      case "endpoints":
        pipeline.endpoints = readEndpoints(r, f);
        break;
      case "base_url":
        setIfDefined(pipeline, "base_url", readBaseUrl(r, f));
        break;
      case "params":
        pipeline.params = readParams(r, f);
        break;
      case "limits":
        pipeline.limits = readLimits(r, f);
        break;
      case "steps":
        ({ steps: pipeline.steps, ids: stepIds } = readSteps(r, f));
        models.push(...stepModelFields(r, f.value));
        break;
      case "output":
        output = f;
        break;
      case "prices":
        pipeline.prices = readPriceEntries(r, f.value, f.path);
        break;
      case "cache":
        setIfDefined(pipeline, "cache", r.boolean(f));
        break;
      case "on_truncated":
        setIfDefined(pipeline, "on_truncated", r.oneOf(f, ON_TRUNCATED));
        break;
      case "input":
        pipeline.input = readInputSettings(r, f);
        break;
      case "mode":
        setIfDefined(pipeline, "mode", r.oneOf(f, RUN_MODES));
        break;
    }
  }
  // Checked once every endpoint is read, wherever `endpoints` stands in the file.
  const endpointNames = Object.keys(pipeline.endpoints ?? {});
  if (provider !== undefined) setIfDefined(pipeline, "provider", readProvider(r, provider, endpointNames));
  checkModelPrefixes(r, models, endpointNames);
  // Checked after the steps, against every id the file declares, even steps with problems of
  // their own: those are already reported and must not also make `output` look wrong.
  if (output !== undefined) {
    const id = r.string(output, { nonEmpty: true });
    if (id !== undefined && !stepIds.has(id)) {
      r.report(output.value, `output names step "${id}", but there is no such step${didYouMean(id, stepIds)}`);
    } else if (id !== undefined) {
      pipeline.output = id;
    }
  }
  if (r.problems.length > 0) throw new ConfigError(sortByPosition(r.problems));
  return pipeline;
}

/** Reads and parses a pipeline file. Throws `UsageError` when unreadable, `ConfigError` when invalid. */
export async function loadPipeline(file: string): Promise<Pipeline> {
  return parsePipeline(await readConfigText(file, "pipeline file"), file);
}

/**
 * The pipeline used without `-p`: one generate step that sends each record's own `prompt` or
 * `messages`. Its `prompt` template only documents that; `usesRecordMessages` is what counts.
 */
export function defaultPipeline(): Pipeline & { steps: GenerateStep[] } {
  return {
    name: "default",
    params: {},
    limits: {},
    steps: [{ id: "generate", method: "generate", prompt: "{{prompt}}", params: {}, usesRecordMessages: true }],
  };
}

/** `provider`: a registered kind, or one of the pipeline's endpoints. */
function readProvider(r: ConfigReader, f: Field, endpoints: readonly string[]): ProviderName | undefined {
  return r.oneOf(f, [...providerNames(), ...endpoints]);
}

/** Reads an `input` mapping; invalid entries are reported and left out. */
function readInputSettings(r: ConfigReader, f: Field): InputSettings {
  const input: InputSettings = {};
  const fields = r.map(f.value, f.path, f.path, INPUT_KEYS);
  if (fields === undefined) return input;
  for (const field of fields.values()) {
    const raw = r.string(field, { nonEmpty: true });
    if (raw === undefined) continue;
    if (field.name === "delimiter") {
      const delimiter = parseDelimiter(raw);
      if (delimiter === undefined) r.report(field.value, `${field.path} must be ${DELIMITER_RULE}, got ${JSON.stringify(raw)}`);
      else input.delimiter = delimiter;
    } else if (!isEncodingName(raw)) {
      r.report(field.value, `${field.path} must be one of ${ENCODING_NAMES}, got ${JSON.stringify(raw)}`);
    } else {
      input.encoding = parseEncoding(field.path, raw);
    }
  }
  return input;
}

/** yaml names no key in "Map keys must be unique"; in a long file the key is worth showing. */
function duplicateKeyHint(code: string, text: string, offset: number): string {
  if (code !== "DUPLICATE_KEY") return "";
  const key = /^("[^"\n]*"|'[^'\n]*'|[^:,{}[\]\n]+?)\s*:/.exec(text.slice(offset))?.[1];
  return key === undefined ? "" : ` (${key.startsWith('"') || key.startsWith("'") ? key : `"${key}"`} appears more than once)`;
}

function setIfDefined<K extends keyof Pipeline>(into: Pipeline, key: K, value: Pipeline[K] | undefined): void {
  if (value !== undefined) into[key] = value;
}

/** Problems in file order, however the checks were ordered. The sort is stable for ties. */
function sortByPosition(problems: ConfigProblem[]): ConfigProblem[] {
  return [...problems].sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
}
