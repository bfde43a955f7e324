import type { InputSettings, Pipeline } from "../config/pipeline.js";
import { callsModel } from "../config/step-types.js";
import { UsageError } from "../errors.js";
import { canReadTwice, openInput, type InputFormat } from "../io/open-input.js";
import type { InputRecord, ReadItem } from "../types.js";
import { ownRequestConflict } from "./steps/embed.js";
import { ownMessagesConflict, ownPromptProblem, readsRecordMessages } from "./steps/generate.js";
import { checkColumns } from "./header-check.js";
import { providerRefusals } from "./provider-check.js";
import { compileTemplate, TemplateError, type CompiledTemplate } from "../lang/template.js";

/** At most this many problems are listed; the count covers all of them. */
export const MAX_LISTED_PROBLEMS = 20;

export interface InputProblems {
  /** `file:line: message`, the first `MAX_LISTED_PROBLEMS` of them. */
  listed: string[];
  count: number;
  records: number;
}

/**
 * `--strict`: reads the whole input without sending anything and collects every line that would
 * become an `invalid_input` result: unreadable lines and duplicate ids (from the reader), records
 * with neither prompt nor messages for a pipeline that sends the record's own, and template
 * variables a record lacks in a generate step that always runs. Templates that read
 * `{{steps.…}}` are checked only for their record variables; step outputs exist only once the
 * steps ran.
 */
export async function findInputProblems(items: AsyncIterable<ReadItem>, pipeline: Pipeline, inputName: string): Promise<InputProblems> {
  const check = recordChecker(pipeline);
  const out: InputProblems = { listed: [], count: 0, records: 0 };
  for await (const item of items) {
    out.records++;
    const problem = item.kind === "invalid" ? { line: item.invalid.line, message: item.invalid.message } : check(item.record);
    if (problem === undefined) continue;
    out.count++;
    if (out.listed.length < MAX_LISTED_PROBLEMS) out.listed.push(`${inputName}:${problem.line}: ${problem.message}`);
  }
  return out;
}

type Problem = { line: number; message: string } | undefined;

function recordChecker(pipeline: Pipeline): (record: InputRecord) => Problem {
  // Only steps that always run and fail their record on error can make a record bad: a step
  // with `when` may never run for it, one with `on_error: skip|continue` lets it carry on.
  const checked = pipeline.steps.flatMap((s) => (callsModel(s) && s.when === undefined && (s.on_error ?? "fail") === "fail" ? [s] : []));
  const sendsRecordMessages = checked.some((s) => s.method === "generate" && s.usesRecordMessages === true);
  // One single-variable template per record variable the pipeline reads: rendering it is the check.
  const vars = new Map<string, CompiledTemplate>();
  // Steps that render their own prompt or input, and what they say of a line that brings its own request.
  const templated: { conflict(record: InputRecord): string | undefined }[] = [];
  for (const step of checked) {
    const sources = step.method === "embed" ? [step.input].flat() : [step.system, step.usesRecordMessages ? undefined : step.prompt, ...(step.messages ?? []).map((m) => m.content)];
    const placeholders = sources.flatMap((source) => (source === undefined ? [] : compileTemplate(source).placeholders));
    if (step.method === "embed") templated.push({ conflict: (record) => ownRequestConflict(step.id, record) });
    else if (step.usesRecordMessages !== true) {
      const readsMessages = readsRecordMessages(placeholders);
      templated.push({ conflict: (record) => ownMessagesConflict(step.id, readsMessages, record) });
    }
    for (const { path, segments } of placeholders) {
      if (path === "id" || segments[0] === "steps") continue;
      if (!vars.has(path)) vars.set(path, compileTemplate(`{{${path}}}`));
    }
  }
  const providerRefused = providerRefusals(pipeline);
  return (record) => {
    if (sendsRecordMessages && record.embedding === undefined) {
      const problem = ownPromptProblem(record);
      if (problem !== undefined) return { line: record.line, message: problem };
    }
    for (const step of templated) {
      const conflict = step.conflict(record);
      if (conflict !== undefined) return { line: record.line, message: conflict };
    }
    for (const template of vars.values()) {
      try {
        template.render(record.vars);
      } catch (err) {
        if (err instanceof TemplateError) return { line: record.line, message: err.message };
        throw err;
      }
    }
    // What the provider would refuse before sending (the run's `bad_request`), asked here too.
    const refused = providerRefused(record);
    return refused === undefined ? undefined : { line: record.line, message: refused };
  };
}

/** `--strict`: a second pass over the input before the run; stdin cannot be read twice. */
export async function refuseBadInput(path: string, format: InputFormat | undefined, pipeline: Pipeline, settings: InputSettings = {}): Promise<void> {
  if (!canReadTwice(path)) throw new UsageError("--strict reads the input twice (check, then run), so it needs a regular file, not stdin or a pipe");
  const input = openInput(path, { format, ...settings, onHeader: (columns) => checkColumns(pipeline, columns, input.name) });
  const found = await findInputProblems(input.items, pipeline, input.name);
  if (found.count === 0) return;
  const more = found.count > found.listed.length ? `\n  … and ${found.count - found.listed.length} more` : "";
  throw new UsageError(`--strict: ${found.count} of ${found.records} input records are bad; nothing was sent:\n  ${found.listed.join("\n  ")}${more}`);
}
