/**
 * JSON Schema checks for `generate` (structured output) and `validate` steps, with ajv. One ajv
 * instance per process, created when the first schema is compiled (a run without schemas never
 * loads ajv, about 8 MB). Compiled validators are cached by the schema's JSON, so a schema used on
 * every record (or by every `BaseLLMService` call) is compiled once.
 */
import type { Ajv, ErrorObject, ValidateFunction } from "ajv";
import { lazyModule } from "../lazy-module.js";
import { compileLinearRegex } from "./linear-regex.js";

/**
 * Strict about the schema itself, so a typo such as `requird` is reported when the pipeline is
 * loaded instead of silently validating nothing. `format` is not checked (ajv-formats is not a
 * dependency): OpenAI's structured outputs treat it as a hint too.
 */
const ajvModule = lazyModule<typeof import("ajv")>("ajv");
let ajv: Ajv | undefined;
function validator(): Ajv {
  if (!ajv) {
    ajv = new (ajvModule().Ajv)({
      allErrors: true,
      strict: true,
      strictTypes: false,
      strictTuples: false,
      strictRequired: false,
      validateFormats: false,
      // `pattern` and `patternProperties` run on model output: linear time, like an extract step's regex.
      code: { regExp: linearRegExp },
    });
  }
  return ajv;
}

/**
 * ajv's `code.regExp` engine: JSON Schema patterns are ECMA-262 syntax, compiled with the `u` ajv asks
 * for. ajv shares compiled patterns by their `toString()`, so it must name the pattern.
 */
const linearRegExp = Object.assign(
  (pattern: string, flags: string) => {
    const re = compileLinearRegex(pattern, flags);
    return { test: (text: string) => re.test(text), toString: () => `/${pattern}/${flags}` };
  },
  { code: "linearRegExp" },
);

/**
 * Pipelines name a handful of schemas; a library user generating schemas per call would grow the
 * cache without end, so past this many it starts over (ajv's own cache is dropped with it).
 */
const CACHE_LIMIT = 256;
const cache = new Map<string, ValidateFunction>();

export interface SchemaCheck {
  ok: boolean;
  /** Every mismatch, one per line: `/label must be one of: billing, bug, other (got "sales")`. */
  errors: string[];
}

/** Compiles a schema; throws with ajv's message when the schema itself is invalid. */
export function compileSchema(schema: Record<string, unknown>): (value: unknown) => SchemaCheck {
  const key = JSON.stringify(schema);
  let validate = cache.get(key);
  if (validate === undefined) {
    if (cache.size >= CACHE_LIMIT) {
      cache.clear();
      ajv = undefined;
    }
    validate = validator().compile(schema);
    cache.set(key, validate);
  }
  const v = validate;
  return (value) => (v(value) ? { ok: true, errors: [] } : { ok: false, errors: (v.errors ?? []).map((e) => describeError(e, value)) });
}

/** The problem with a schema, or undefined when ajv accepts it (for the pipeline loader). */
export function schemaProblem(schema: unknown): string | undefined {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema)) return "a JSON Schema must be a mapping";
  try {
    compileSchema(schema as Record<string, unknown>);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

function describeError(e: ErrorObject, root: unknown): string {
  const where = e.instancePath === "" ? "the value" : e.instancePath;
  const got = valueAt(root, e.instancePath);
  const shown = got === undefined ? "" : ` (got ${truncate(JSON.stringify(got))})`;
  if (e.keyword === "enum") return `${where} must be one of: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(", ")}${shown}`;
  if (e.keyword === "required" || e.keyword === "additionalProperties") return `${where} ${e.message ?? "is invalid"}`;
  return `${where} ${e.message ?? "is invalid"}${shown}`;
}

function valueAt(root: unknown, pointer: string): unknown {
  if (pointer === "") return root;
  let v: unknown = root;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replace(/~1/g, "/").replace(/~0/g, "~");
    if (typeof v !== "object" || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

function truncate(s: string | undefined): string {
  if (s === undefined) return "undefined";
  return s.length > 80 ? `${s.slice(0, 77)}...` : s;
}
