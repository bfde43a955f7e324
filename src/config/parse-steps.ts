/**
 * Reads the `steps` list: what every step shares (`id`, `method`, order, unknown keys) is checked
 * here; the method-specific keys go to the method's module from `steps/registry.ts`.
 */
import { checkCondition } from "./template-refs.js";
import { ON_ERROR, type PipelineStep } from "./step-types.js";
import { STEP_METHOD_NAMES, STEP_METHODS, stepMethod } from "./steps/registry.js";
import { describe, isMap, isScalar, scalarValue, type ConfigReader, type Field, type YamlNode } from "./yaml-reader.js";

/** Step ids appear in `{{steps.<id>.output}}` and in output records, so they stay identifier-like. */
export const STEP_ID_PATTERN = /^[A-Za-z_][A-Za-z0-9_-]*$/;

const COMMON_KEYS = ["id", "method", "when", "on_error"] as const;
const REQUIRED_KEYS = ["id", "method"] as const;

/**
 * With an unknown or missing method we cannot tell which keys are wrong; accepting every method's
 * keys avoids burying the one real problem under false "unknown key" reports.
 */
const ANY_METHOD_KEYS = [...COMMON_KEYS, ...new Set(Object.values(STEP_METHODS).flatMap((m) => m.keys))];

/** Steps that validated, and every well-formed id declared (for checks such as `output`). */
export interface ReadStepsResult {
  steps: PipelineStep[];
  ids: ReadonlySet<string>;
}

export function readSteps(r: ConfigReader, f: Field): ReadStepsResult {
  const items = r.list(f);
  if (items === undefined) return { steps: [], ids: new Set() };
  if (items.length === 0) {
    r.report(f.value, `${f.path} must list at least one step`);
    return { steps: [], ids: new Set() };
  }
  // First pass: every id as written, so a template naming a later step can be told apart from
  // one naming a step that does not exist.
  const all = new Set<string>();
  for (const item of items) {
    const id = peekString(r, item, "id");
    if (id !== undefined && STEP_ID_PATTERN.test(id)) all.add(id);
  }

  const steps: PipelineStep[] = [];
  const firstUse = new Map<string, number>();
  items.forEach((node, i) => {
    const where = `${f.path}[${i}]`;
    const methodName = peekString(r, node, "method");
    const method = methodName === undefined ? undefined : stepMethod(methodName);
    const fields = r.map(node, where, where, method === undefined ? ANY_METHOD_KEYS : [...COMMON_KEYS, ...method.keys]);
    if (fields === undefined) return;
    r.requireKeys(fields, node, where, REQUIRED_KEYS);

    const id = readId(r, fields.get("id"), firstUse, i, f.path);
    const methodField = fields.get("method");
    if (methodField !== undefined && method === undefined) {
      const message =
        typeof scalarValue(methodField.value) === "string"
          ? `unknown step method ${describe(methodField.value)}; expected one of: ${STEP_METHOD_NAMES.join(", ")}`
          : `${methodField.path} must be a string, got ${describe(methodField.value)}`;
      r.report(methodField.value, message, methodField.key.range?.[1]);
    }
    // Earlier steps are the ones listed before this one, whatever their own validity.
    const earlier = new Set([...firstUse.keys()].filter((k) => firstUse.get(k)! < i));
    const order = { self: id, earlier, all };
    const common = readCommon(r, fields, order);
    if (method !== undefined) {
      const previous = i > 0 ? peekString(r, items[i - 1]!, "id") : undefined;
      const step = method.parse(fields, { reader: r, node, where, id: id ?? "", order, previous });
      if (step !== undefined && id !== undefined && common !== undefined) steps.push({ ...step, ...common } as PipelineStep);
    }
  });
  return { steps, ids: all };
}

/** `when` and `on_error`, which every method accepts; undefined when one of them is invalid. */
function readCommon(r: ConfigReader, fields: ReadonlyMap<string, Field>, order: Parameters<typeof checkCondition>[4]): Pick<PipelineStep, "when" | "on_error"> | undefined {
  const out: Pick<PipelineStep, "when" | "on_error"> = {};
  let ok = true;
  const when = fields.get("when");
  if (when !== undefined) {
    const text = r.string(when, { nonEmpty: true });
    if (text === undefined || !checkCondition(r, when.value, text, when.path, order)) ok = false;
    else out.when = text;
  }
  const onError = fields.get("on_error");
  if (onError !== undefined) {
    const v = r.oneOf(onError, ON_ERROR);
    if (v === undefined) ok = false;
    else out.on_error = v;
  }
  return ok ? out : undefined;
}

/** Validates a step id and its uniqueness; returns it only when usable. */
function readId(r: ConfigReader, f: Field | undefined, firstUse: Map<string, number>, index: number, listPath: string): string | undefined {
  if (f === undefined) return undefined;
  const id = r.string(f, { nonEmpty: true });
  if (id === undefined) return undefined;
  if (!STEP_ID_PATTERN.test(id)) {
    r.report(f.value, `${f.path} must start with a letter or "_" and contain only letters, digits, "_" and "-", got ${describe(f.value)}`);
    return undefined;
  }
  const first = firstUse.get(id);
  if (first !== undefined) {
    r.report(f.value, `duplicate step id "${id}"; already used by ${listPath}[${first}]`);
    return undefined;
  }
  firstUse.set(id, index);
  return id;
}

/** A string value of a mapping key, read without reporting anything (the full pass reports). */
function peekString(r: ConfigReader, node: YamlNode, key: string): string | undefined {
  if (!isMap(node)) return undefined;
  const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
  const value = pair === undefined ? undefined : scalarValue(r.deref(pair.value));
  return typeof value === "string" ? value : undefined;
}
