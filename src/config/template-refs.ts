/**
 * Checks the templates of a pipeline at load time, so a typo in `{{steps.sumary.output}}` is a
 * config error with a position instead of a failure on every record of a long run.
 */
import { type CompiledCondition, compileCondition, ConditionError } from "../lang/condition.js";
import { type CompiledTemplate, compileTemplate, TemplateError } from "../lang/template.js";
import { didYouMean } from "./suggest.js";
import type { ConfigReader, YamlNode } from "./yaml-reader.js";

/** Where a step stands among the others: templates may only read the output of earlier steps. */
export interface StepOrder {
  /** The id of the step whose templates are checked, if it has a valid one. */
  self: string | undefined;
  /** Ids of the steps before it. */
  earlier: ReadonlySet<string>;
  /** Every step id in the pipeline. */
  all: ReadonlySet<string>;
}

/**
 * Compiles `text` (the string value of `node`) and reports syntax errors and references to steps
 * that are not earlier, each at the placeholder's own position in the file when it can be found.
 */
export function checkTemplate(r: ConfigReader, node: YamlNode, text: string, path: string, order: StepOrder): void {
  let placeholders: CompiledTemplate["placeholders"];
  try {
    placeholders = compileTemplate(text).placeholders;
  } catch (e) {
    if (!(e instanceof TemplateError)) throw e;
    r.reportAt(locate(r, node, text, e.index ?? 0, e.token ?? ""), `${path}: ${e.message}`);
    return;
  }
  for (const ph of placeholders) {
    // `steps` is the reserved root for step outputs; every other root is a record field.
    if (ph.segments[0] !== "steps") continue;
    const problem = stepRefProblem(ph.segments, order);
    if (problem === undefined) continue;
    const token = text.slice(ph.start, ph.end);
    r.reportAt(locate(r, node, text, ph.start, token), `${path} references ${token}, ${problem}`);
  }
}

/**
 * Compiles a `when:` condition and reports syntax errors and step references that are not earlier,
 * at their position. Returns false when the condition is unusable.
 */
export function checkCondition(r: ConfigReader, node: YamlNode, text: string, path: string, order: StepOrder): boolean {
  let paths: CompiledCondition["paths"];
  try {
    paths = compileCondition(text).paths;
  } catch (e) {
    if (!(e instanceof ConditionError)) throw e;
    r.reportAt(locate(r, node, text, e.index, text.slice(e.index, e.index + 2)), `${path}: ${e.message} in ${JSON.stringify(text)}`);
    return false;
  }
  let ok = true;
  for (const p of paths) {
    const segments = p.path.split(".");
    if (segments[0] !== "steps") continue;
    const problem = stepRefProblem(segments, order, "a condition");
    if (problem === undefined) continue;
    r.reportAt(locate(r, node, text, p.start, p.path), `${path} references ${p.path}, ${problem}`);
    ok = false;
  }
  return ok;
}

function stepRefProblem(segments: readonly string[], order: StepOrder, what = "a template"): string | undefined {
  const id = segments[1];
  if (id === undefined || segments[2] !== "output") {
    return what === "a template" ? `but step outputs are referenced as {{steps.<id>.output}}` : `but step outputs are referenced as steps.<id>.output`;
  }
  if (order.earlier.has(id)) return undefined;
  const rule = `${what} can only use the output of an earlier step`;
  if (id === order.self) return `but that is this step's own output; ${rule}`;
  if (order.all.has(id)) return `but step "${id}" runs after this one; ${rule}`;
  return `but there is no step "${id}"${didYouMean(id, order.all)}`;
}

/**
 * Maps an offset in the parsed string to an offset in the file. Escapes and folding make the two
 * differ in general, but a placeholder is almost always written verbatim, so finding the same
 * occurrence of its text in the node's source is exact in practice; otherwise the node's start.
 */
function locate(r: ConfigReader, node: YamlNode, value: string, index: number, token: string): number {
  const fallback = node?.range?.[0] ?? 0;
  const src = node === null || token === "" ? undefined : r.sourceOf(node);
  if (src === undefined) return fallback;
  let nth = 0;
  for (let i = value.indexOf(token); i !== -1 && i < index; i = value.indexOf(token, i + 1)) nth++;
  let at = src.text.indexOf(token);
  for (let k = 0; k < nth && at !== -1; k++) at = src.text.indexOf(token, at + 1);
  return at === -1 ? fallback : src.offset + at;
}
