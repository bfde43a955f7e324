/**
 * `llmbatch estimate` and `run --dry-run`: what a batch would cost and take, with nothing sent.
 * Every record goes through the same templates and the same tokenizer as a real run, so the input
 * token count is the one the run would reserve; output tokens are an assumption, stated. Embeddings
 * calls (embed steps, embeddings request lines) count their input tokens and write no output.
 */
import { priceTableFor, type PriceOverrides } from "../config/price-overrides.js";
import type { ResolvedRunOptions } from "../config/run-options.js";
import { checkColumns } from "../engine/header-check.js";
import { preparePipeline } from "../engine/pipeline-runner.js";
import { providerRefusals } from "../engine/provider-check.js";
import { createPriceLookup } from "../cost/pricing.js";
import { isPreparedEmbed, OWN_EMBEDDING_STEP, ownRequestConflict, type PreparedEmbed } from "../engine/steps/embed.js";
import { buildMessages, isPreparedGenerate, requestSettings, type PreparedGenerate } from "../engine/steps/generate.js";
import { TemplateError, type CompiledTemplate } from "../lang/template.js";
import { DEFAULT_OUTPUT_TOKENS, embedInputTokens, estimateRequestTokens } from "../tokens/token-estimate.js";
import { openInput, type InputFormat } from "../io/open-input.js";
import { endpointKind } from "../providers/detect.js";
import { providerKind } from "../providers/registry.js";
import type { EncodingName } from "../tokens/bpe.js";
import { costOf, roundUsdTotal, type PriceTable } from "../cost/prices.js";
import { batchPriceTable } from "../cost/batch-prices.js";
import type { ChatMessage, InputRecord } from "../types.js";

export interface EstimateConfig {
  /** Input file, or "-" for `stdin`. */
  input: string;
  format?: InputFormat;
  stdin?: NodeJS.ReadableStream;
  options: ResolvedRunOptions;
  prices?: PriceTable;
  priceOverrides?: PriceOverrides;
  /** `--assume-output`: output tokens per answer (a call with `n` writes n) for the expected cost. @default `typicalOutputTokens` of each call's max_tokens, per answer */
  assumeOutputTokens?: number;
  /** What reading the input decided that a user may want to know (a sniffed delimiter). */
  onInfo?(message: string): void;
}

export interface EstimateLine {
  calls: number;
  input_tokens: number;
  output_tokens_assumed: number;
  /** Output tokens if every call wrote its `max_tokens`: the worst case. */
  output_tokens_max: number;
  /** null when the model has no price. */
  cost_usd: { expected: number | null; max: number | null };
}

export interface BatchEstimate extends Omit<EstimateLine, "cost_usd"> {
  records: number;
  /** Lines that would not be sent (not counted): `invalid_input`, or refused by the provider before sending (`bad_request`). */
  invalid_records: number;
  /** Priced models only; see `unpriced_models`. */
  cost_usd: { expected: number; max: number };
  /** `--batch` (or `mode: batch`): the same calls at Batch API prices; absent otherwise. */
  batch_cost_usd?: { expected: number; max: number };
  unpriced_models: string[];
  /** What the configured RPM/TPM limits imply (a lower bound); null without limits. */
  est_wall_s: number | null;
  /** The assumptions, in words. */
  assumptions: { output: string; wall: string };
  by_model: Record<string, EstimateLine>;
  by_step: Record<string, EstimateLine>;
}

/**
 * With no `--assume-output`, the expected cost assumes each call writes half its `max_tokens`, at
 * most 500 tokens: answers rarely fill their cap, and a chat answer of a few paragraphs is a few
 * hundred tokens, whereas an unset cap counts as 4,096. A stated guess, not a measurement; `max`
 * keeps the worst case.
 */
export const TYPICAL_OUTPUT = { fraction: 0.5, atMost: 500 } as const;

/** The output tokens the expected cost assumes for a call whose cap is `maxOutput`. */
export function typicalOutputTokens(maxOutput: number): number {
  return Math.max(1, Math.min(Math.ceil(maxOutput * TYPICAL_OUTPUT.fraction), TYPICAL_OUTPUT.atMost));
}

const emptyLine = (): EstimateLine => ({ calls: 0, input_tokens: 0, output_tokens_assumed: 0, output_tokens_max: 0, cost_usd: { expected: 0, max: 0 } });

export async function estimateBatch(config: EstimateConfig): Promise<BatchEstimate> {
  const { pipeline } = config.options;
  // Only generate and embed steps call a model; local steps (extract, convert, validate) cost nothing.
  // Each call counts with its endpoint's kind's tokenizer (the registry's `encoding`).
  const steps = preparePipeline(pipeline)
    .steps.filter((s): s is PreparedGenerate | PreparedEmbed => isPreparedGenerate(s) || isPreparedEmbed(s))
    .map((s) => Object.assign(s, { encoding: providerKind(endpointKind(s.provider, pipeline)).encoding }));
  const table = priceTableFor(pipeline.prices, config.priceOverrides, config.prices);
  const priceOf = createPriceLookup(table);
  const batchPriceOf = config.options.batch ? createPriceLookup(batchPriceTable(table)) : undefined;
  const batchTotal = { expected: 0, max: 0 };
  const byModel: Record<string, EstimateLine> = {};
  // The run's time is bound by its slowest quota: each model of an endpoint has its own limits.
  const quotas = new Map<string, QuotaLoad>();
  const limitsOf = new Map(steps.map((p) => [p.step.id, p.step.limits]));
  const byStep: Record<string, EstimateLine> = Object.fromEntries(steps.map((s) => [s.step.id, emptyLine()]));
  const total = emptyLine();
  const unpriced = new Set<string>();
  let records = 0;
  let invalid = 0;
  let embeddings = false;

  // A line the provider would refuse before sending is no call (the run's `bad_request`).
  const refused = providerRefusals(pipeline);
  const onHeader = (columns: readonly string[]) => checkColumns(pipeline, columns, input.name);
  const input = openInput(config.input, { format: config.format, stdin: config.stdin, ...config.options.input, onInfo: config.onInfo, onHeader });
  for await (const item of input.items) {
    if (item.kind === "invalid") {
      invalid++;
      continue;
    }
    const calls = refused(item.record) === undefined ? callsOf(steps, item.record, config.assumeOutputTokens) : undefined;
    if (calls === undefined) {
      invalid++;
      continue;
    }
    records++;
    for (const c of calls) {
      embeddings ||= c.embedding === true;
      // Priced by the endpoint's kind: every model of a free kind (a local server) costs nothing.
      const price = priceOf(endpointKind(c.provider, pipeline), c.model);
      if (!price) unpriced.add(c.model);
      const cost = {
        expected: costOf(price, { input_tokens: c.prompt, output_tokens: c.assumed, cached_tokens: 0 }),
        max: costOf(price, { input_tokens: c.prompt, output_tokens: c.maxOutput, cached_tokens: 0 }),
      };
      add(total, c, cost, true);
      const batchPrice = batchPriceOf?.(endpointKind(c.provider, pipeline), c.model);
      if (batchPrice) {
        batchTotal.expected += costOf(batchPrice, { input_tokens: c.prompt, output_tokens: c.assumed, cached_tokens: 0 }) ?? 0;
        batchTotal.max += costOf(batchPrice, { input_tokens: c.prompt, output_tokens: c.maxOutput, cached_tokens: 0 }) ?? 0;
      }
      add((byModel[c.model] ??= emptyLine()), c, cost, false);
      add((byStep[c.stepId] ??= emptyLine()), c, cost, false);
      countQuota(quotas, c, pipeline, limitsOf.get(c.stepId), config.options);
    }
  }
  const wall = wallTime([...quotas.values()]);
  return {
    records,
    invalid_records: invalid,
    calls: total.calls,
    input_tokens: total.input_tokens,
    output_tokens_assumed: total.output_tokens_assumed,
    output_tokens_max: total.output_tokens_max,
    cost_usd: { expected: roundUsdTotal(total.cost_usd.expected ?? 0), max: roundUsdTotal(total.cost_usd.max ?? 0) },
    ...(batchPriceOf ? { batch_cost_usd: { expected: roundUsdTotal(batchTotal.expected), max: roundUsdTotal(batchTotal.max) } } : {}),
    unpriced_models: [...unpriced].sort(),
    est_wall_s: wall.seconds,
    assumptions: { output: outputAssumption(steps, config.assumeOutputTokens, embeddings), wall: wall.text },
    by_model: roundLines(byModel),
    by_step: roundLines(byStep),
  };
}

interface Call {
  stepId: string;
  provider: PreparedGenerate["provider"];
  model: string;
  prompt: number;
  assumed: number;
  maxOutput: number;
  /** An embeddings call, which writes no output. */
  embedding?: true;
}

/** The calls one record makes; an earlier step's output counts as its assumed output tokens. */
type Counted = (PreparedGenerate | PreparedEmbed) & { encoding(model: string): EncodingName };

function callsOf(steps: readonly Counted[], record: InputRecord, assume: number | undefined): Call[] | undefined {
  const outputs: Record<string, { output: string }> = {};
  const assumedOf: Record<string, number> = {};
  const scope: Record<string, unknown> = { ...record.vars, id: record.id, steps: outputs };
  const calls: Call[] = [];
  const fromStepsOf = (templates: readonly (CompiledTemplate | undefined)[]): number => stepRefs(templates).reduce((n, id) => n + (assumedOf[id] ?? 0), 0);
  for (const p of steps) {
    if (isPreparedEmbed(p)) {
      if (ownRequestConflict(p.step.id, record) !== undefined) return undefined;
      const templates = [p.inputs].flat();
      let input: string[];
      try {
        input = templates.map((t) => t.render(scope));
      } catch (err) {
        if (!(err instanceof TemplateError) || !err.missing.startsWith("steps.")) return undefined;
        // As for generate steps: an earlier step's output is unknown until the run; its assumed length stands in.
        input = templates.map(strip);
      }
      calls.push({
        stepId: p.step.id,
        provider: p.provider,
        model: p.model,
        prompt: embedInputTokens(p.model, input, p.encoding(p.model)) + fromStepsOf(templates),
        assumed: 0,
        maxOutput: 0,
        embedding: true,
      });
      outputs[p.step.id] = { output: "" };
      assumedOf[p.step.id] = 0;
      continue;
    }
    // The default pipeline sends an embeddings request line as it is: its input is all it is charged for.
    if (p.step.usesRecordMessages && record.embedding !== undefined) {
      const model = record.model || p.model;
      calls.push({ stepId: OWN_EMBEDDING_STEP, provider: p.provider, model, prompt: embedInputTokens(model, record.embedding.input, p.encoding(model)), assumed: 0, maxOutput: 0, embedding: true });
      continue;
    }
    const { model, params, extra } = requestSettings(p, record);
    let messages = buildMessages(p, p.templates, record, scope);
    if (!Array.isArray(messages)) {
      if (messages.type === "invalid_input") return undefined;
      // A template reading into an earlier step's output (`{{steps.x.output.name}}`): its text is unknown
      // until the run, so count the template without its placeholders (plus the assumed output below).
      messages = strippedMessages(p, record);
    }
    // A body's `tools` count as prompt, and its `n` multiplies the output, as in a run.
    const est = estimateRequestTokens(extra ? { model, messages, params, extra } : { model, messages, params }, p.encoding(model));
    const t = p.templates;
    const fromSteps = fromStepsOf([t.system, t.prompt, ...(t.messages ?? []).map((m) => m.content)]);
    // The typical answer is per choice: a call with `n` writes n of them.
    const choices = params.n ?? 1;
    const perChoice = est.maxOutput / choices;
    const assumed = Math.min(assume ?? typicalOutputTokens(perChoice), perChoice) * choices;
    calls.push({ stepId: p.step.id, provider: p.provider, model, prompt: est.prompt + fromSteps, assumed, maxOutput: est.maxOutput });
    outputs[p.step.id] = { output: "" };
    assumedOf[p.step.id] = assumed;
  }
  return calls;
}

/** `{{steps.<id>.output}}` occurrences in a step's templates, one entry per occurrence. */
function stepRefs(templates: readonly (CompiledTemplate | undefined)[]): string[] {
  return templates.flatMap((x) => x?.placeholders ?? []).flatMap(({ segments: s }) => (s[0] === "steps" && s[2] === "output" ? [s[1]!] : []));
}

/** A template's text without its placeholders. */
function strip(t: CompiledTemplate): string {
  let out = "";
  let at = 0;
  for (const ph of t.placeholders) {
    out += t.source.slice(at, ph.start);
    at = ph.end;
  }
  return out + t.source.slice(at);
}

function strippedMessages(p: PreparedGenerate, record: InputRecord): ChatMessage[] {
  const t = p.templates;
  const messages: ChatMessage[] = [];
  if (t.system) messages.push({ role: "system", content: strip(t.system) });
  if (p.step.usesRecordMessages) messages.push(...(record.messages ?? [{ role: "user" as const, content: record.prompt ?? "" }]));
  for (const m of t.messages ?? []) messages.push({ role: m.role, content: strip(m.content) });
  if (t.prompt) messages.push({ role: "user", content: strip(t.prompt) });
  return messages;
}

/** Adds a call; an unpriced call makes a model's or step's cost null, but only drops out of the total. */
function add(line: EstimateLine, c: Call, cost: { expected: number | null; max: number | null }, isTotal: boolean): void {
  line.calls++;
  line.input_tokens += c.prompt;
  line.output_tokens_assumed += c.assumed;
  line.output_tokens_max += c.maxOutput;
  const sum = (a: number | null, b: number | null): number | null => (b === null ? (isTotal ? a : null) : a === null ? null : a + b);
  line.cost_usd = { expected: sum(line.cost_usd.expected, cost.expected), max: sum(line.cost_usd.max, cost.max) };
}

/** The calls and tokens of one quota (see `Quotas`), and the limits in force there. */
interface QuotaLoad {
  label: string;
  calls: number;
  tokens: number;
  rpm: number | undefined;
  tpm: number | undefined;
}

/** As the run keys quotas: per model of an endpoint, one per server for a kind that queues there (Ollama). */
function countQuota(quotas: Map<string, QuotaLoad>, c: Call, pipeline: Parameters<typeof endpointKind>[1], stepLimits: { rpm?: number; tpm?: number } | undefined, options: ResolvedRunOptions): void {
  const perServer = providerKind(endpointKind(c.provider, pipeline))?.capabilities.serverQueue === true;
  const key = perServer ? c.provider : `${c.provider}|${c.model}`;
  let q = quotas.get(key);
  if (q === undefined) quotas.set(key, (q = { label: perServer ? c.provider : c.model, calls: 0, tokens: 0, rpm: options.rpm, tpm: options.tpm }));
  // Steps that share a quota share its lowest limits, as in a run.
  if (stepLimits?.rpm !== undefined) q.rpm = Math.min(q.rpm ?? Infinity, stepLimits.rpm);
  if (stepLimits?.tpm !== undefined) q.tpm = Math.min(q.tpm ?? Infinity, stepLimits.tpm);
  q.calls++;
  q.tokens += c.prompt + c.assumed;
}

function wallTime(quotas: readonly QuotaLoad[]): { seconds: number | null; text: string } {
  let slowest: { seconds: number; bound: string } | undefined;
  for (const q of quotas) {
    const byRpm = q.rpm ? (q.calls / q.rpm) * 60 : 0;
    const byTpm = q.tpm ? (q.tokens / q.tpm) * 60 : 0;
    if (!q.rpm && !q.tpm) continue;
    const seconds = Math.max(byRpm, byTpm);
    if (slowest !== undefined && seconds <= slowest.seconds) continue;
    const of = quotas.length > 1 ? ` of ${q.label}` : "";
    slowest = { seconds, bound: byRpm >= byTpm ? `${q.calls} calls${of} at ${q.rpm} RPM` : `${q.tokens} tokens${of} at ${q.tpm} TPM` };
  }
  if (slowest === undefined) return { seconds: null, text: "no rpm/tpm limit configured: the time depends on the provider's latency and limits" };
  const seconds = Math.round(slowest.seconds * 10) / 10;
  return { seconds, text: `at least ${seconds} s: ${slowest.bound} (the provider's latency comes on top)` };
}

function outputAssumption(steps: readonly (PreparedGenerate | PreparedEmbed)[], assume: number | undefined, sawEmbeddings: boolean): string {
  const generates = steps.filter(isPreparedGenerate);
  if (generates.length === 0) return "embeddings calls write no output tokens";
  const embeddings = sawEmbeddings ? "; embeddings calls write no output tokens" : "";
  if (assume !== undefined) return `${assume} output tokens per answer (--assume-output; a call with n writes n), at most each answer's max_tokens${embeddings}`;
  const caps = generates.map((s) => {
    const cap = s.params.max_tokens;
    const own = s.step.usesRecordMessages ? ", or a request line's own, times its n" : "";
    return cap === undefined
      ? `${s.step.id}: ${typicalOutputTokens(DEFAULT_OUTPUT_TOKENS)} of ${DEFAULT_OUTPUT_TOKENS}, max_tokens unset${own}`
      : `${s.step.id}: ${typicalOutputTokens(cap)} of ${cap}${own}`;
  });
  return `each call writes ${TYPICAL_OUTPUT.fraction * 100}% of its max_tokens, at most ${TYPICAL_OUTPUT.atMost} tokens (${caps.join("; ")}); the max assumes every call writes its max_tokens; pass --assume-output <n> for your answers' real length${embeddings}`;
}

function roundLines(lines: Record<string, EstimateLine>): Record<string, EstimateLine> {
  const out: Record<string, EstimateLine> = {};
  for (const key of Object.keys(lines).sort()) {
    const l = lines[key]!;
    out[key] = { ...l, cost_usd: { expected: l.cost_usd.expected === null ? null : roundUsdTotal(l.cost_usd.expected), max: l.cost_usd.max === null ? null : roundUsdTotal(l.cost_usd.max) } };
  }
  return out;
}
