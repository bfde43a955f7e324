/**
 * `method: convert`: deterministic transforms of an earlier step's output, applied in order:
 * `ops: [trim, lower, {split: ","}, {map: {billing: B}, default: X}, {template: "{{value}}!"}]`,
 * or the shorthands `map:` (with `default:`) and `template:` on the step itself.
 */
import { checkTemplate } from "../template-refs.js";
import { SIMPLE_OPS, type ConvertOp, type ConvertStep } from "../step-types.js";
import { describe, isMap, isScalar, scalarValue, type Field, type YamlNode } from "../yaml-reader.js";
import { FROM_KEY, readFrom } from "./from.js";
import type { StepContext, StepMethod } from "./step-method.js";

const SHAPES = ["ops", "map", "template"] as const;
const OP_NAMES = [...SIMPLE_OPS, "split", "join", "template", "map"];

export const convertStep: StepMethod<ConvertStep> = {
  keys: [FROM_KEY, ...SHAPES, "default"],

  parse(fields, ctx) {
    const { reader: r, where } = ctx;
    const from = readFrom(fields, ctx);
    let ok = from !== undefined;
    if (!r.exactlyOne(fields, ctx.node, where, SHAPES)) ok = false;
    const def = fields.get("default");
    if (def !== undefined && !fields.has("map")) {
      r.report(def.key, `${def.path} only applies with "map"`);
      ok = false;
    }

    const ops: ConvertOp[] = [];
    const opsField = fields.get("ops");
    const mapField = fields.get("map");
    const templateField = fields.get("template");
    if (opsField !== undefined) {
      const items = r.list(opsField);
      if (items === undefined || items.length === 0) {
        if (items !== undefined) r.report(opsField.value, `${opsField.path} must list at least one operation`);
        ok = false;
      } else {
        items.forEach((item, i) => {
          const op = readOp(item, `${opsField.path}[${i}]`, ctx);
          if (op === undefined) ok = false;
          else ops.push(op);
        });
      }
    } else if (mapField !== undefined) {
      const op = readMap(mapField, def, ctx);
      if (op === undefined) ok = false;
      else ops.push(op);
    } else if (templateField !== undefined) {
      const op = readTemplate(templateField, ctx);
      if (op === undefined) ok = false;
      else ops.push(op);
    }
    return ok ? { id: ctx.id, method: "convert", from: from!, ops } : undefined;
  },
};

function readOp(node: YamlNode, path: string, ctx: StepContext): ConvertOp | undefined {
  const r = ctx.reader;
  const name = scalarValue(node);
  if (typeof name === "string") {
    if ((SIMPLE_OPS as readonly string[]).includes(name)) return { op: name as (typeof SIMPLE_OPS)[number] };
    const needsArg = ["split", "join", "template", "map"].includes(name) ? ` ("${name}" takes a value: {${name}: …})` : "";
    r.report(node, `${path} is not an operation: ${describe(node)}; expected one of: ${OP_NAMES.join(", ")}${needsArg}`);
    return undefined;
  }
  if (!isMap(node)) {
    r.report(node, `${path} must be an operation name or a one-key mapping such as {split: ","}, got ${describe(node)}`);
    return undefined;
  }
  const fields = r.map(node, path, path, ["split", "join", "template", "map", "default"]);
  if (fields === undefined) return undefined;
  const kinds = ["split", "join", "template", "map"].filter((k) => fields.has(k));
  if (kinds.length !== 1) {
    r.report(node, `${path} must have exactly one of split, join, template, map`);
    return undefined;
  }
  const def = fields.get("default");
  const kind = kinds[0]!;
  const f = fields.get(kind)!;
  if (def !== undefined && kind !== "map") {
    r.report(def.key, `${def.path} only applies with "map"`);
    return undefined;
  }
  if (kind === "map") return readMap(f, def, ctx);
  if (kind === "template") return readTemplate(f, ctx);
  const separator = r.string(f);
  return separator === undefined ? undefined : { op: kind as "split" | "join", separator };
}

function readMap(f: Field, def: Field | undefined, ctx: StepContext): ConvertOp | undefined {
  const r = ctx.reader;
  if (!isMap(f.value) || f.value.items.length === 0 || !f.value.items.every((p) => isScalar(p.key))) {
    r.report(f.value, `${f.path} must be a non-empty mapping of values, such as {billing: B, bug: G}, got ${describe(f.value)}`, f.key.range?.[1]);
    return undefined;
  }
  // Keys are compared as strings: YAML reads `1:` as a number, but outputs are mostly text.
  const map: Record<string, unknown> = {};
  for (const pair of f.value.items) map[String((pair.key as { value: unknown }).value)] = r.toJS(r.deref(pair.value));
  return def === undefined ? { op: "map", map } : { op: "map", map, default: r.toJS(def.value) };
}

function readTemplate(f: Field, ctx: StepContext): ConvertOp | undefined {
  const text = ctx.reader.string(f, { nonEmpty: true });
  if (text === undefined) return undefined;
  checkTemplate(ctx.reader, f.value, text, f.path, ctx.order);
  return { op: "template", template: text };
}
