/**
 * `from:` of the steps that read an earlier step's output (`extract`, `convert`, `validate`): one
 * id or a list of ids (the first that produced an output wins), each an earlier step; absent means
 * the step listed just before.
 */
import { didYouMean } from "../suggest.js";
import { describe, isSeq, scalarValue, type Field } from "../yaml-reader.js";
import type { StepContext } from "./step-method.js";

export const FROM_KEY = "from";

export function readFrom(fields: ReadonlyMap<string, Field>, ctx: StepContext): string[] | undefined {
  const { reader: r, order } = ctx;
  const f = fields.get(FROM_KEY);
  if (f === undefined) {
    if (ctx.previous !== undefined) return [ctx.previous];
    r.report(ctx.node, `${ctx.where} is the first step, so it has no previous step to read; name a step with "from"`);
    return undefined;
  }
  const nodes = isSeq(f.value) ? f.value.items.map((n) => r.deref(n)) : [f.value];
  if (nodes.length === 0) {
    r.report(f.value, `${f.path} must name at least one step`);
    return undefined;
  }
  const ids: string[] = [];
  for (const node of nodes) {
    const id = scalarValue(node);
    if (typeof id !== "string" || id === "") {
      r.report(node, `${f.path} must be a step id or a list of step ids, got ${describe(node)}`, f.key.range?.[1]);
      return undefined;
    }
    if (!order.earlier.has(id)) {
      const why = id === order.self ? "this step itself" : order.all.has(id) ? `step "${id}", which runs after this one` : `step "${id}", but there is no such step${didYouMean(id, order.all)}`;
      r.report(node, `${f.path} names ${why}; a step can only read the output of an earlier step`);
      return undefined;
    }
    ids.push(id);
  }
  return ids;
}
