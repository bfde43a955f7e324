/**
 * Deterministic values that conform to a JSON Schema, for structured-output replies
 * (`response_format: json_schema`, Ollama `format: {schema}`). Covers what Structured
 * Outputs allows: objects (every property, so `required` and strict mode both hold),
 * enums/const, strings with common formats, numbers within bounds, arrays, anyOf,
 * nullable types and local `$ref`s.
 */
import { type Rng, pick, randInt } from "./rng.js";
import { replyWords } from "./words.js";

type Schema = Record<string, unknown>;

/** Deep schemas or recursive `$ref`s stop here with the smallest valid value we can give. */
const MAX_DEPTH = 8;

function isSchema(value: unknown): value is Schema {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function words(rng: Rng, min: number, max: number): string {
  const count = randInt(rng, min, max);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(pick(rng, replyWords()));
  return out.join(" ");
}

function resolveRef(ref: string, root: Schema): Schema | undefined {
  if (ref === "#") return root;
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    node = isSchema(node) ? node[key] : undefined;
  }
  return isSchema(node) ? node : undefined;
}

function chooseType(schema: Schema): string | undefined {
  const type = schema["type"];
  if (typeof type === "string") return type;
  if (Array.isArray(type)) {
    const concrete = type.filter((t): t is string => typeof t === "string" && t !== "null");
    return concrete[0] ?? (type.includes("null") ? "null" : undefined);
  }
  if (isSchema(schema["properties"])) return "object";
  if (schema["items"] !== undefined || schema["prefixItems"] !== undefined) return "array";
  return undefined;
}

function num(schema: Schema, key: string): number | undefined {
  const value = schema[key];
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

function stringValue(schema: Schema, rng: Rng): string {
  const year = 2020 + randInt(rng, 0, 5);
  const month = String(randInt(rng, 1, 12)).padStart(2, "0");
  const day = String(randInt(rng, 1, 28)).padStart(2, "0");
  let text: string;
  switch (schema["format"]) {
    case "date-time":
      text = `${year}-${month}-${day}T${String(randInt(rng, 0, 23)).padStart(2, "0")}:00:00Z`;
      break;
    case "date":
      text = `${year}-${month}-${day}`;
      break;
    case "time":
      text = `${String(randInt(rng, 0, 23)).padStart(2, "0")}:30:00`;
      break;
    case "email":
      text = `${pick(rng, replyWords())}@example.com`;
      break;
    case "uri":
    case "url":
      text = `https://example.com/${pick(rng, replyWords())}`;
      break;
    case "uuid": {
      const hex = () =>
        Math.floor(rng() * 0x10000)
          .toString(16)
          .padStart(4, "0");
      text = `${hex()}${hex()}-${hex()}-4${hex().slice(1)}-a${hex().slice(1)}-${hex()}${hex()}${hex()}`;
      break;
    }
    default:
      text = words(rng, 1, 4);
  }
  const minLength = num(schema, "minLength") ?? 0;
  const maxLength = num(schema, "maxLength");
  while (text.length < minLength) text += ` ${pick(rng, replyWords())}`;
  return maxLength !== undefined ? text.slice(0, maxLength) : text;
}

function numberValue(schema: Schema, rng: Rng, integer: boolean): number {
  const step = integer ? 1 : 0.01;
  const exclusiveMin = num(schema, "exclusiveMinimum");
  const exclusiveMax = num(schema, "exclusiveMaximum");
  const minimum = num(schema, "minimum") ?? (exclusiveMin !== undefined ? exclusiveMin + step : undefined);
  const maximum = num(schema, "maximum") ?? (exclusiveMax !== undefined ? exclusiveMax - step : undefined);
  // Open ends get a 100-wide range next to the bound that is given (0..100 with none).
  const lo = minimum ?? (maximum !== undefined ? Math.min(0, maximum - 100) : 0);
  const hi = Math.max(lo, maximum ?? lo + 100);
  if (integer) return randInt(rng, Math.ceil(lo), Math.max(Math.ceil(lo), Math.floor(hi)));
  return Math.min(hi, Math.max(lo, Math.round((lo + rng() * (hi - lo)) * 100) / 100));
}

function objectValue(schema: Schema, root: Schema, rng: Rng, depth: number): Record<string, unknown> {
  const properties = isSchema(schema["properties"]) ? schema["properties"] : {};
  const out: Record<string, unknown> = {};
  for (const [key, child] of Object.entries(properties)) {
    out[key] = valueFor(isSchema(child) ? child : {}, root, rng, depth + 1);
  }
  // Required names without a property schema still have to be present.
  const required = Array.isArray(schema["required"]) ? schema["required"] : [];
  for (const key of required) {
    if (typeof key === "string" && !(key in out)) out[key] = words(rng, 1, 2);
  }
  return out;
}

function arrayValue(schema: Schema, root: Schema, rng: Rng, depth: number): unknown[] {
  const prefix = Array.isArray(schema["prefixItems"]) ? schema["prefixItems"] : [];
  const items = isSchema(schema["items"]) ? schema["items"] : {};
  const minItems = Math.max(num(schema, "minItems") ?? 1, prefix.length);
  const maxItems = Math.max(minItems, num(schema, "maxItems") ?? Math.max(minItems, 3));
  const count = depth >= MAX_DEPTH ? minItems : randInt(rng, minItems, Math.min(maxItems, minItems + 2));
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    const itemSchema: unknown = i < prefix.length ? prefix[i] : items;
    out.push(valueFor(isSchema(itemSchema) ? itemSchema : {}, root, rng, depth + 1));
  }
  return out;
}

/** A value valid against `schema`; `root` resolves `#/$defs/...` references. */
export function valueFor(schema: Schema, root: Schema, rng: Rng, depth = 0): unknown {
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const target = resolveRef(ref, root);
    return target && depth < MAX_DEPTH ? valueFor(target, root, rng, depth + 1) : null;
  }
  if ("const" in schema) return schema["const"];
  const enumValues = schema["enum"];
  if (Array.isArray(enumValues) && enumValues.length > 0) return pick(rng, enumValues);

  for (const key of ["anyOf", "oneOf"] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length > 0) {
      const usable = branches.filter((b) => isSchema(b) && b["type"] !== "null");
      const branch: unknown = usable.length > 0 ? pick(rng, usable) : branches[0];
      return valueFor(isSchema(branch) ? branch : {}, root, rng, depth + 1);
    }
  }
  const allOf = schema["allOf"];
  if (Array.isArray(allOf) && allOf.length > 0) {
    const parts = allOf.map((part) => valueFor(isSchema(part) ? part : {}, root, rng, depth + 1));
    return parts.every(isSchema) ? Object.assign({}, ...parts) : parts[0];
  }

  switch (chooseType(schema)) {
    case "object":
      return objectValue(schema, root, rng, depth);
    case "array":
      return arrayValue(schema, root, rng, depth);
    case "integer":
      return numberValue(schema, rng, true);
    case "number":
      return numberValue(schema, rng, false);
    case "boolean":
      return rng() < 0.5;
    case "null":
      return null;
    default:
      return stringValue(schema, rng);
  }
}

/** JSON text for a schema, compact like a model's structured output. */
export function jsonForSchema(schema: Schema, rng: Rng): string {
  return JSON.stringify(valueFor(schema, schema, rng));
}

/** `json_object` / Ollama `format: "json"`: any small object will do. */
export function freeformJson(rng: Rng): string {
  return JSON.stringify({
    answer: words(rng, 3, 8),
    confidence: Math.round(rng() * 100) / 100,
    tags: [pick(rng, replyWords()), pick(rng, replyWords())],
  });
}
