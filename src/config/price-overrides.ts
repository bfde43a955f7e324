/**
 * Price overrides: the pipeline's `prices:` block and a `--prices <file>` (YAML or JSON), both a
 * mapping of model name → {input, cached_input?, output, batch_input?, batch_output?} in USD per
 * 1M tokens. A file may also be a copy of the bundled table (`models:` plus `source`, `date`, …).
 * Every problem is reported together at its `file:line:column`.
 */
import type { LineCounter } from "yaml";
import { loadPriceTable, withPriceOverrides, type ModelPrice, type PriceTable } from "../cost/prices.js";
import { ConfigError, readConfigText } from "./config-error.js";
import { ConfigReader, describe, isMap, isScalar, parseYamlText, scalarValue, yamlErrorMessage, type Field, type YamlNode } from "./yaml-reader.js";

export type PriceOverrides = Record<string, ModelPrice>;

const PRICE_KEYS = ["input", "cached_input", "output", "batch_input", "batch_output"] as const;
const TABLE_KEYS = ["source", "date", "currency", "unit", "notes", "batch_discount", "models"] as const;

/**
 * Reads a mapping of model → price; invalid entries are reported and left out. `path` prefixes
 * field names in messages (`prices`, or "" at the top of a price file); `where` names the mapping.
 */
export function readPriceEntries(r: ConfigReader, node: YamlNode, path: string, where = path): PriceOverrides {
  const out: PriceOverrides = {};
  if (!isMap(node)) {
    r.report(node, `${where} must be a mapping of model name to prices, got ${describe(node)}`);
    return out;
  }
  const names = node.items.map((p) => (isScalar(p.key) ? String(p.key.value) : "")).filter((n) => n !== "");
  const models = r.map(node, where, path, names);
  for (const f of models?.values() ?? []) {
    const price = readPrice(r, f);
    if (price !== undefined) out[f.name] = price;
  }
  return out;
}

function readPrice(r: ConfigReader, f: Field): ModelPrice | undefined {
  const fields = r.map(f.value, f.path, f.path, PRICE_KEYS);
  if (fields === undefined) return undefined;
  r.requireKeys(fields, f.value, f.path, ["input", "output"]);
  const price: Partial<Record<(typeof PRICE_KEYS)[number], number>> = {};
  let ok = fields.has("input") && fields.has("output");
  for (const field of fields.values()) {
    const v = scalarValue(field.value);
    if (typeof v === "number" && Number.isFinite(v) && v >= 0) price[field.name as (typeof PRICE_KEYS)[number]] = v;
    else {
      r.report(field.value, `${field.path} must be a non-negative number (USD per 1M tokens), got ${describe(field.value)}`, field.key.range?.[1]);
      ok = false;
    }
  }
  return ok ? (price as ModelPrice) : undefined;
}

/** Reads a `--prices` file. Throws `UsageError` when unreadable, `ConfigError` listing every problem when invalid. */
export async function loadPriceOverrides(file: string): Promise<PriceOverrides> {
  const text = await readConfigText(file, "price file");
  const { doc, lines } = parseYamlText(text);
  if (doc.errors.length > 0) {
    throw new ConfigError(doc.errors.map((e) => ({ message: yamlErrorMessage(e), file, ...position(lines, e.pos[0]) })));
  }
  const r = new ConfigReader(file, text, doc, lines);
  const root = r.deref(doc.contents);
  const isTable = isMap(root) && root.items.some((p) => isScalar(p.key) && p.key.value === "models");
  let prices: PriceOverrides = {};
  if (isTable) {
    const models = r.map(root, "price file", "", TABLE_KEYS)?.get("models");
    if (models) prices = readPriceEntries(r, models.value, "models");
  } else {
    prices = readPriceEntries(r, root, "", "price file");
  }
  if (r.problems.length > 0) throw new ConfigError(r.problems);
  return prices;
}

function position(lines: LineCounter, offset: number): { line: number; column: number } {
  const { line, col } = lines.linePos(offset);
  return { line, column: col };
}

/** Bundled (or given) prices, then the pipeline's `prices:`, then a `--prices` file: the later wins. */
export function priceTableFor(pipelinePrices: PriceOverrides | undefined, fileOverrides: PriceOverrides | undefined, base: PriceTable = loadPriceTable()): PriceTable {
  return withPriceOverrides(withPriceOverrides(base, pipelinePrices ?? {}, "the pipeline's prices:"), fileOverrides ?? {}, "--prices");
}
