/**
 * `convert` at run time. Text ops (trim, lower, upper, number, boolean, string) and `map` apply to
 * each item when the value is a list, so `[{split: ","}, trim, {map: …}]` reads naturally.
 */
import type { ConvertOp, ConvertStep } from "../../config/step-types.js";
import { parseJsonReply } from "../../lang/json-path.js";
import { compileTemplate, TemplateError } from "../../lang/template.js";
import { localFailed, localOk, preview, type PreparedStep } from "./step.js";

class OpError extends Error {}

type Apply = (value: unknown, scope: Record<string, unknown>) => unknown;

export function prepareConvert(step: ConvertStep): PreparedStep {
  const ops = step.ops.map(compileOp);
  return {
    step,
    async run({ value, scope }) {
      const started = performance.now();
      let v = value;
      try {
        for (const op of ops) v = op(v, scope);
      } catch (e) {
        if (e instanceof OpError || e instanceof TemplateError) return localFailed(step.id, started, e.message);
        throw e;
      }
      return localOk(step.id, started, v);
    },
  };
}

function compileOp(op: ConvertOp): Apply {
  switch (op.op) {
    case "trim":
      return each((s) => text(s, op.op).trim());
    case "lower":
      return each((s) => text(s, op.op).toLowerCase());
    case "upper":
      return each((s) => text(s, op.op).toUpperCase());
    case "string":
      return each((v) => (typeof v === "string" ? v : (JSON.stringify(v) ?? "")));
    case "number":
      return each(toNumber);
    case "boolean":
      return each(toBoolean);
    case "json":
      return (v) => {
        if (typeof v !== "string") return v;
        try {
          return parseJsonReply(v);
        } catch (e) {
          throw new OpError(`json: ${preview(v)} is not JSON (${(e as Error).message})`);
        }
      };
    case "split":
      return (v) => text(v, "split").split(op.separator);
    case "join":
      return (v) => {
        if (!Array.isArray(v)) throw new OpError(`join needs a list, got ${preview(v)}`);
        return v.map((x) => (typeof x === "string" ? x : JSON.stringify(x))).join(op.separator);
      };
    case "template": {
      const t = compileTemplate(op.template);
      return (v, scope) => t.render({ ...scope, value: v });
    }
    case "map":
      return each((v) => {
        const key = typeof v === "string" ? v : JSON.stringify(v);
        if (Object.hasOwn(op.map, key)) return op.map[key];
        if ("default" in op) return op.default;
        throw new OpError(
          `map has no entry for ${preview(v)}; expected one of: ${Object.keys(op.map)
            .map((k) => JSON.stringify(k))
            .join(", ")}`,
        );
      });
  }
}

function each(f: (v: unknown) => unknown): Apply {
  return (v) => (Array.isArray(v) ? v.map(f) : f(v));
}

function text(v: unknown, op: string): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  throw new OpError(`${op} needs text, got ${preview(v)}`);
}

function toNumber(v: unknown): number {
  if (typeof v === "number") return v;
  const s = typeof v === "string" ? v.trim() : "";
  const n = s === "" ? NaN : Number(s.replace(/,/g, ""));
  if (!Number.isFinite(n)) throw new OpError(`number: ${preview(v)} is not a number`);
  return n;
}

const TRUE = new Set(["true", "yes", "y", "1", "on"]);
const FALSE = new Set(["false", "no", "n", "0", "off"]);

function toBoolean(v: unknown): boolean {
  if (typeof v === "boolean") return v;
  const s = String(v).trim().toLowerCase();
  if (TRUE.has(s)) return true;
  if (FALSE.has(s)) return false;
  throw new OpError(`boolean: ${preview(v)} is not one of true/false, yes/no, 1/0, on/off`);
}
