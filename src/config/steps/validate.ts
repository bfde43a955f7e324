/**
 * `method: validate`: checks an earlier step's output against a JSON Schema or a list of allowed
 * values, and fails the record with the reason when it does not match. Its output is the value,
 * unchanged.
 */
import type { ValidateStep } from "../step-types.js";
import { describe, isSeq } from "../yaml-reader.js";
import { FROM_KEY, readFrom } from "./from.js";
import type { StepMethod } from "./step-method.js";

export const validateStep: StepMethod<ValidateStep> = {
  keys: [FROM_KEY, "schema", "enum"],

  parse(fields, ctx) {
    const { reader: r, where } = ctx;
    const from = readFrom(fields, ctx);
    let ok = from !== undefined;
    const step: Omit<ValidateStep, "when" | "on_error"> = { id: ctx.id, method: "validate", from: from ?? [] };
    const schema = fields.get("schema");
    const list = fields.get("enum");
    if (!r.exactlyOne(fields, ctx.node, where, ["schema", "enum"])) ok = false;
    if (schema !== undefined) {
      const s = r.jsonSchema(schema);
      if (s === undefined) ok = false;
      else step.schema = s;
    }
    if (list !== undefined) {
      if (isSeq(list.value) && list.value.items.length > 0) step.enum = r.toJS(list.value) as unknown[];
      else {
        r.report(list.value, `${list.path} must be a non-empty list of allowed values, got ${describe(list.value)}`, list.key.range?.[1]);
        ok = false;
      }
    }
    return ok ? step : undefined;
  },
};
