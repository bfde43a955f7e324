/**
 * A CSV's header names every field its records will have, so a template that reads a field no
 * column gives would fail on every row. This check runs when the header is read, before any row
 * is sent, and refuses the run (exit 2) naming the template, the field, the closest column and
 * the columns there are.
 */
import type { Pipeline } from "../config/pipeline.js";
import { editDistance, suggest } from "../config/suggest.js";
import { UsageError } from "../errors.js";
import { delimiterName, SNIFFED_DELIMITERS } from "../io/input-sniff.js";
import { compileTemplate, type TemplatePlaceholder } from "../lang/template.js";

/** A template of the pipeline, with what messages call it and the names it may read besides record fields. */
interface NamedTemplate {
  where: string;
  source: string;
  /** Scope names other than the record's fields (`value` in a convert step's template). */
  own?: readonly string[];
}

/**
 * Throws `UsageError` when a template of `pipeline` reads a record field that is none of
 * `columns`, or when the pipeline sends each record's own prompt and there is no `prompt` column.
 * `{{id}}` and `{{steps.…}}` are not record fields: the run provides them.
 */
export function checkColumns(pipeline: Pipeline, columns: readonly string[], inputName: string): void {
  const have = new Set(columns);
  // One column holding a delimiter: the header was split at the wrong one, and no name is near.
  const merged = columns.length === 1 ? SNIFFED_DELIMITERS.find((d) => columns[0]!.includes(d)) : undefined;
  const problems: string[] = [];
  for (const t of templatesOf(pipeline)) {
    for (const ph of compileTemplate(t.source).placeholders) {
      const problem = fieldProblem(ph, have, merged === undefined ? columns : [], t.own ?? []);
      if (problem !== undefined) problems.push(`${t.where} reads {{${ph.path}}}, ${problem}`);
    }
  }
  const own = pipeline.steps.find((s) => s.method === "generate" && s.usesRecordMessages === true);
  if (own !== undefined && !have.has("prompt")) {
    const example = columns.find((c) => !/^(id|Unnamed: \d+)$/.test(c)) ?? columns[0]!;
    problems.push(`there is no "prompt" column to send as each row's prompt: build the prompt from the columns with --template, e.g. --template 'Summarize: ${placeholderFor(example)}'`);
  }
  if (problems.length === 0) return;
  const unique = [...new Set(problems)];
  if (merged !== undefined) {
    const flag = merged === "\t" ? "\\t" : merged;
    unique.push(`the header is one column holding ${delimiterName(merged)}: if that separates the columns, run with --delimiter '${flag}'`);
  }
  throw new UsageError(
    `${inputName}: the header row does not have what the pipeline reads; nothing was sent:\n  ${unique.join("\n  ")}\n  the columns are: ${columns.map((c) => JSON.stringify(c)).join(", ")}`,
  );
}

function templatesOf(pipeline: Pipeline): NamedTemplate[] {
  // Without a pipeline file the only template is `--template`; with one, steps are named.
  const flag = pipeline.file === undefined;
  const out: NamedTemplate[] = [];
  for (const step of pipeline.steps) {
    const at = `step "${step.id}"`;
    if (step.method === "generate") {
      if (step.system !== undefined) out.push({ where: `${at} system`, source: step.system });
      if (step.prompt !== undefined && step.usesRecordMessages !== true) out.push({ where: flag ? "--template" : `${at} prompt`, source: step.prompt });
      step.messages?.forEach((m, i) => out.push({ where: `${at} messages[${i}]`, source: m.content }));
    } else if (step.method === "convert") {
      step.ops.forEach((op, i) => {
        if (op.op === "template") out.push({ where: `${at} ops[${i}] template`, source: op.template, own: ["value"] });
      });
    }
  }
  return out;
}

/** Why a placeholder can never be filled from a row with these columns, or undefined when it can. */
function fieldProblem(ph: TemplatePlaceholder, have: ReadonlySet<string>, columns: readonly string[], own: readonly string[]): string | undefined {
  const root = ph.segments[0]!;
  if (root === "steps" || ph.path === "id" || own.includes(root)) return undefined;
  // A row's field is its whole inside, or (after brackets) its one segment.
  if (have.has(ph.path) || (ph.segments.length === 1 && have.has(root))) return undefined;
  if (have.has(root)) return `but a CSV cell is text, with no fields inside it: read the column as {{${root}}}`;
  const near = closestColumn(ph.segments.length === 1 ? root : ph.path, columns);
  return `but there is no such column${near === undefined ? "" : ` (did you mean ${placeholderFor(near)}?)`}`;
}

/**
 * The column a misspelt field most likely meant: the same letters and digits whatever the case
 * and separators (`review_text` for `Review Text`), then a plausible typo, then a column whose
 * name contains the field's (`review_text` for `review`), the shortest such.
 */
export function closestColumn(name: string, columns: readonly string[]): string | undefined {
  const key = (s: string) => s.toLowerCase().replace(/[^\p{L}\p{N}]+/gu, "");
  const wanted = key(name);
  const same = columns.find((c) => key(c) === wanted);
  if (same !== undefined) return same;
  const typo = suggest(name, columns);
  if (typo !== undefined) return typo;
  if (wanted.length < 3) return undefined;
  const containing = columns.filter((c) => key(c).includes(wanted) || (key(c).length >= 3 && wanted.includes(key(c))));
  containing.sort((a, b) => editDistance(wanted, key(a)) - editDistance(wanted, key(b)));
  return containing[0];
}

/** How a template reads a column: `{{text}}`, `{{Review Text}}`, or with brackets when the name needs them. */
function placeholderFor(column: string): string {
  try {
    const [ph] = compileTemplate(`{{${column}}}`).placeholders;
    if (ph !== undefined && ph.path === column && ph.segments.length === 1 && ph.segments[0] === column) return `{{${column}}}`;
  } catch {
    // Not writable bare ({{#}}, a name with spaces around it): brackets below.
  }
  return `{{${JSON.stringify([column])}}}`;
}
