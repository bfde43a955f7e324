/** `validate` at run time: the value passes through unchanged, or the record fails with the reason. */
import type { ValidateStep } from "../../config/step-types.js";
import { compileSchema } from "../../lang/json-schema.js";
import { localFailed, localOk, preview, type PreparedStep } from "./step.js";

export function prepareValidate(step: ValidateStep): PreparedStep {
  const check = step.schema !== undefined ? compileSchema(step.schema) : undefined;
  const allowed = step.enum?.map((v) => JSON.stringify(v));
  return {
    step,
    async run({ value }) {
      const started = performance.now();
      if (check !== undefined) {
        const r = check(value);
        return r.ok ? localOk(step.id, started, value) : localFailed(step.id, started, `does not match the schema: ${r.errors.join("; ")}`);
      }
      if (allowed!.includes(JSON.stringify(value))) return localOk(step.id, started, value);
      return localFailed(step.id, started, `${preview(value)} is not one of: ${allowed!.join(", ")}`);
    },
  };
}
