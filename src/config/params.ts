/**
 * Validation of the `params` (generation parameters) and `limits` blocks, shared by the pipeline's
 * top level and by every step that calls a model.
 */
import type { LlmParams } from "../types.js";
import type { Limits } from "./pipeline.js";
import { describe, isSeq, scalarValue, type ConfigReader, type Field } from "./yaml-reader.js";

/**
 * `response_format` is deliberately absent: structured output is a generate step's `schema:`, which
 * also validates and repairs the reply, not a free-form generation parameter.
 */
export const PARAM_KEYS = ["temperature", "max_tokens", "top_p", "seed", "stop"] as const;
export const LIMIT_KEYS = ["rpm", "tpm", "concurrency"] as const;

/** Reads a `params` mapping; invalid entries are reported and left out. */
export function readParams(r: ConfigReader, f: Field): LlmParams {
  const params: LlmParams = {};
  const fields = r.map(f.value, f.path, f.path, PARAM_KEYS);
  if (fields === undefined) return params;
  for (const field of fields.values()) {
    switch (field.name) {
      case "temperature":
        assign(params, "temperature", r.numberInRange(field, 0, 2));
        break;
      case "max_tokens":
        assign(params, "max_tokens", r.positiveInt(field));
        break;
      case "top_p":
        assign(params, "top_p", r.numberInRange(field, 0, 1));
        break;
      case "seed":
        assign(params, "seed", r.integer(field));
        break;
      case "stop":
        assign(params, "stop", readStop(r, field));
        break;
    }
  }
  return params;
}

/** Reads a `limits` mapping: every limit is a positive integer. */
export function readLimits(r: ConfigReader, f: Field): Limits {
  const limits: Limits = {};
  const fields = r.map(f.value, f.path, f.path, LIMIT_KEYS);
  if (fields === undefined) return limits;
  for (const field of fields.values()) {
    assign(limits, field.name as keyof Limits, r.positiveInt(field));
  }
  return limits;
}

/** The limits a step may set for the quotas its calls spend: per minute only (concurrency is the run's). */
export const STEP_LIMIT_KEYS = ["rpm", "tpm"] as const;

/** Reads a step's `limits` mapping (`rpm`, `tpm`): every limit is a positive integer. */
export function readStepLimits(r: ConfigReader, f: Field): Pick<Limits, "rpm" | "tpm"> | undefined {
  const fields = r.map(f.value, f.path, f.path, STEP_LIMIT_KEYS);
  if (fields === undefined) return undefined;
  const limits: Pick<Limits, "rpm" | "tpm"> = {};
  let ok = true;
  for (const field of fields.values()) {
    const n = r.positiveInt(field);
    if (n === undefined) ok = false;
    else limits[field.name as "rpm" | "tpm"] = n;
  }
  return ok ? limits : undefined;
}

function readStop(r: ConfigReader, f: Field): string | string[] | undefined {
  const single = scalarValue(f.value);
  if (typeof single === "string") return single;
  if (isSeq(f.value)) {
    const items = f.value.items.map((item) => r.deref(item));
    const strings = items.map(scalarValue).filter((v): v is string => typeof v === "string");
    if (strings.length === items.length) return strings;
  }
  r.report(f.value, `${f.path} must be a string or a list of strings, got ${describe(f.value)}`, f.key.range?.[1]);
  return undefined;
}

/** Sets a key only when the value is valid: an invalid key is absent, never present as `undefined`. */
function assign<T extends object, K extends keyof T>(into: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) into[key] = value;
}
