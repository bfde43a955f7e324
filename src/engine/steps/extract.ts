/** `extract` at run time: a JSON path, a regex group, or the text between two markers. */
import type { ExtractStep } from "../../config/step-types.js";
import { compileJsonPath, parseJsonReply } from "../../lang/json-path.js";
import { compileLinearRegex } from "../../lang/linear-regex.js";
import { localFailed, localOk, preview, type PreparedStep } from "./step.js";

export function prepareExtract(step: ExtractStep): PreparedStep {
  const find = finder(step);
  return {
    step,
    async run({ value }) {
      const started = performance.now();
      const found = find(value);
      if (typeof found === "object" && found !== null && "error" in found) return localFailed(step.id, started, found.error);
      if (found.value !== undefined) return localOk(step.id, started, found.value);
      if (step.optional) return localOk(step.id, started, null);
      return localFailed(step.id, started, `${found.what} found nothing in ${preview(value)}`);
    },
  };
}

type Found = { value: unknown; what: string } | { error: string };

function finder(step: ExtractStep): (value: unknown) => Found {
  const text = (v: unknown): string => (typeof v === "string" ? v : (JSON.stringify(v) ?? ""));
  if (step.json !== undefined) {
    const path = compileJsonPath(step.json);
    const what = `json path ${step.json}`;
    return (value) => {
      let parsed = value;
      if (typeof value === "string") {
        try {
          parsed = parseJsonReply(value);
        } catch (e) {
          return { error: `the output of step "${step.from.join('" or "')}" is not JSON (${(e as Error).message}): ${preview(value)}` };
        }
      }
      return { value: path.get(parsed), what };
    };
  }
  if (step.regex !== undefined) {
    // Linear time in the text, whatever the pattern: a model's reply cannot stall the run.
    const re = compileLinearRegex(step.regex, step.flags ?? "");
    const what = `regex /${step.regex}/${step.flags ?? ""}`;
    return (value) => {
      const m = re.exec(text(value));
      if (m === null) return { value: undefined, what };
      const groups = m.groups ?? {};
      const name = step.group ?? Object.keys(groups)[0];
      return { value: name !== undefined ? groups[name] : (m[1] ?? m[0]), what };
    };
  }
  const [start, end] = step.between!;
  const what = `between ${JSON.stringify(start)} and ${JSON.stringify(end)}`;
  return (value) => {
    const t = text(value);
    const a = t.indexOf(start);
    const b = a === -1 ? -1 : t.indexOf(end, a + start.length);
    return { value: b === -1 ? undefined : t.slice(a + start.length, b), what };
  };
}
