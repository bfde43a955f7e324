/**
 * The price table (prices.json, with its source and date) and the pure functions that read it. Prices are data
 * with a source and a date, not constants in a provider (STYLE "Data and types").
 *
 * The JSON is imported as a module: TypeScript (resolveJsonModule) emits it next to this file in
 * dist/, and Node ≥ 20.10 loads `with { type: "json" }` imports, so there is no path arithmetic.
 */
import raw from "./prices.json" with { type: "json" };
import type { ProviderName, Usage } from "../types.js";

/** USD per 1M tokens. */
export interface TierPrice {
  input: number;
  /** Price of input tokens served from the prompt cache; the input price when absent. */
  cached_input?: number;
  output: number;
}

export interface ModelPrice extends TierPrice {
  /** Batch API prices (50% off), where the source listed them. */
  batch_input?: number;
  batch_output?: number;
  /** Prices for the whole request once its input exceeds `above_input_tokens` (gpt-5.4, gpt-5.5). */
  long_context?: TierPrice & { above_input_tokens: number };
}

export interface PriceTable {
  source: string;
  date: string;
  /** Provider kinds whose models cost nothing (local inference). */
  free_providers: readonly ProviderName[];
  models: Readonly<Record<string, ModelPrice>>;
}

const FREE: ModelPrice = Object.freeze({ input: 0, cached_input: 0, output: 0 });

// Dated snapshot suffixes: `-2024-07-18` (current style) and `-0125`/`-0613` (older style).
const SNAPSHOT_SUFFIX = /^-(?:\d{4}-\d{2}-\d{2}|\d{4})$/;

let cached: PriceTable | undefined;

/** The bundled table, validated once: a hand edit with a typo fails loudly instead of costing 0. */
export function loadPriceTable(): PriceTable {
  cached ??= validatePriceTable(raw);
  return cached;
}

/** Checks the shape of a price table (exported so tests can feed it broken data). */
export function validatePriceTable(data: unknown): PriceTable {
  const problems: string[] = [];
  const obj = (data ?? {}) as Record<string, unknown>;
  if (typeof obj["source"] !== "string") problems.push(`"source" must be a string`);
  if (typeof obj["date"] !== "string") problems.push(`"date" must be a string`);
  const free = obj["free_providers"];
  // Any kind may be free, the registered ones included, so the names are not checked against a list.
  if (!Array.isArray(free) || !free.every((p) => typeof p === "string" && p !== "")) {
    problems.push(`"free_providers" must be an array of provider names`);
  }
  const models = obj["models"];
  if (typeof models !== "object" || models === null) {
    problems.push(`"models" must be an object`);
  } else {
    for (const [name, price] of Object.entries(models)) {
      checkTier(`models.${name}`, price, problems);
      const lc = (price as Record<string, unknown> | null)?.["long_context"];
      if (lc !== undefined) {
        checkTier(`models.${name}.long_context`, lc, problems);
        if (!isPrice((lc as Record<string, unknown>)["above_input_tokens"])) {
          problems.push(`models.${name}.long_context.above_input_tokens must be a non-negative number`);
        }
      }
    }
  }
  if (problems.length > 0) throw new Error(`invalid price table: ${problems.join("; ")}`);
  return data as PriceTable;
}

function isPrice(v: unknown): v is number {
  return typeof v === "number" && Number.isFinite(v) && v >= 0;
}

function checkTier(where: string, price: unknown, problems: string[]): void {
  if (typeof price !== "object" || price === null) {
    problems.push(`${where} must be an object`);
    return;
  }
  const p = price as Record<string, unknown>;
  for (const key of ["input", "output"]) {
    if (!isPrice(p[key])) problems.push(`${where}.${key} must be a non-negative number, got ${JSON.stringify(p[key])}`);
  }
  for (const key of ["cached_input", "batch_input", "batch_output"]) {
    if (p[key] !== undefined && !isPrice(p[key])) {
      problems.push(`${where}.${key} must be a non-negative number, got ${JSON.stringify(p[key])}`);
    }
  }
}

/**
 * The table with `overrides` applied: each entry replaces or adds a model whole (a family entry
 * also prices its dated snapshots). `origin` names where they came from, for the table's source.
 */
export function withPriceOverrides(table: PriceTable, overrides: Readonly<Record<string, ModelPrice>>, origin: string): PriceTable {
  if (Object.keys(overrides).length === 0) return table;
  return { ...table, source: `${table.source}; overridden by ${origin}`, models: { ...table.models, ...overrides } };
}

/**
 * The price of `model` on `provider`, or undefined when unknown (the caller reports it as unpriced).
 *
 * - A free provider (ollama) prices every model at 0.
 * - An exact name wins; otherwise a dated snapshot matches its family: the longest known name that is
 *   a prefix of `model` AND is followed only by a snapshot suffix. So `gpt-4o-mini-2024-07-18` is
 *   gpt-4o-mini, never gpt-4o (the rest, `-mini-2024-07-18`, is not a date), and `gpt-4o-audio-…`
 *   or a fine-tune `ft:gpt-4o-mini:…` stay unpriced rather than borrowing a wrong price.
 */
export function findPrice(table: PriceTable, model: string, provider: ProviderName): ModelPrice | undefined {
  if (table.free_providers.includes(provider)) return FREE;
  const exact = table.models[model];
  if (exact) return exact;
  let best: string | undefined;
  for (const name of Object.keys(table.models)) {
    if (model.startsWith(name) && SNAPSHOT_SUFFIX.test(model.slice(name.length))) {
      if (best === undefined || name.length > best.length) best = name;
    }
  }
  return best === undefined ? undefined : table.models[best];
}

/** Per-token prices are tiny decimals; keep float noise (0.000043799999999999994) out of a call's or record's cost. */
export function roundUsd(cost: number | null): number | null {
  return cost === null ? null : Math.round(cost * 1e12) / 1e12;
}

/** Sums of many costs (summary, budget, live metrics, estimate): 1e-9 USD is far below a token. */
export function roundUsdTotal(x: number): number {
  return Math.round(x * 1e9) / 1e9;
}

/**
 * USD cost of one call: ((input − cached)·in + cached·cached_in + output·out) / 1e6.
 * `null` when there is no price, so "unknown" never reads as "free".
 */
export function costOf(price: ModelPrice | undefined, usage: Usage): number | null {
  if (price === undefined) return null;
  const lc = price.long_context;
  const tier: TierPrice = lc !== undefined && usage.input_tokens > lc.above_input_tokens ? lc : price;
  // Clamp: a server reporting more cached than prompt tokens must not produce a negative term.
  const cachedTokens = Math.min(Math.max(usage.cached_tokens, 0), usage.input_tokens);
  const uncached = usage.input_tokens - cachedTokens;
  const cachedPrice = tier.cached_input ?? tier.input;
  return (uncached * tier.input + cachedTokens * cachedPrice + usage.output_tokens * tier.output) / 1e6;
}
