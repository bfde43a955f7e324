/**
 * `method: extract`: pulls one value out of an earlier step's output with a JSON path, a regular
 * expression, or a pair of markers. Exactly one of the three.
 */
import { compileJsonPath, JsonPathError } from "../../lang/json-path.js";
import { compileLinearRegex, UnsupportedRegexError, type LinearRegex } from "../../lang/linear-regex.js";
import type { ExtractStep } from "../step-types.js";
import { describe, isSeq, scalarValue } from "../yaml-reader.js";
import { FROM_KEY, readFrom } from "./from.js";
import type { StepMethod } from "./step-method.js";

const HOW = ["json", "regex", "between"] as const;

export const extractStep: StepMethod<ExtractStep> = {
  keys: [FROM_KEY, ...HOW, "flags", "group", "optional"],

  parse(fields, ctx) {
    const { reader: r, where } = ctx;
    const from = readFrom(fields, ctx);
    const step: Omit<ExtractStep, "when" | "on_error"> = { id: ctx.id, method: "extract", from: from ?? [] };
    let ok = from !== undefined;
    if (!r.exactlyOne(fields, ctx.node, where, HOW)) ok = false;

    const json = fields.get("json");
    if (json !== undefined) {
      const path = r.string(json, { nonEmpty: true });
      if (path === undefined) ok = false;
      else {
        try {
          compileJsonPath(path);
          step.json = path;
        } catch (e) {
          if (!(e instanceof JsonPathError)) throw e;
          r.report(json.value, `${json.path}: ${e.message}`);
          ok = false;
        }
      }
    }

    const regex = fields.get("regex");
    const flags = fields.get("flags");
    const group = fields.get("group");
    if (regex !== undefined) {
      const source = r.string(regex, { nonEmpty: true });
      const flagText = flags === undefined ? "" : r.string(flags);
      const groupName = group === undefined ? undefined : r.string(group, { nonEmpty: true });
      if (source === undefined || flagText === undefined || (group !== undefined && groupName === undefined)) ok = false;
      else if (!/^[imsu]*$/.test(flagText)) {
        r.report(flags!.value, `${flags!.path} may only contain i, m, s and u, got ${describe(flags!.value)}`);
        ok = false;
      } else {
        let re: LinearRegex | undefined;
        try {
          re = compileLinearRegex(source, flagText);
        } catch (e) {
          if (e instanceof UnsupportedRegexError) r.report(regex.value, `${regex.path} (step "${ctx.id}") cannot be used: ${e.message}`);
          else if (e instanceof SyntaxError) r.report(regex.value, `${regex.path} is not a valid regular expression: ${e.message}`);
          else throw e;
          ok = false;
        }
        if (re !== undefined && groupName !== undefined && !source.includes(`(?<${groupName}>`)) {
          r.report(group!.value, `${group!.path} names group "${groupName}", but the regex has no (?<${groupName}>…)`);
          ok = false;
        } else if (re !== undefined) {
          step.regex = source;
          if (flagText !== "") step.flags = flagText;
          if (groupName !== undefined) step.group = groupName;
        }
      }
    } else {
      for (const f of [flags, group]) {
        if (f !== undefined) {
          r.report(f.key, `${f.path} only applies with "regex"`);
          ok = false;
        }
      }
    }

    const between = fields.get("between");
    if (between !== undefined) {
      const items = isSeq(between.value) ? between.value.items.map((n) => scalarValue(r.deref(n))) : [];
      if (items.length === 2 && items.every((v): v is string => typeof v === "string" && v !== "")) step.between = [items[0]!, items[1]!];
      else {
        r.report(between.value, `${between.path} must be a list of two non-empty strings [start, end], got ${describe(between.value)}`, between.key.range?.[1]);
        ok = false;
      }
    }

    const optional = fields.get("optional");
    if (optional !== undefined) {
      const v = r.boolean(optional);
      if (v === undefined) ok = false;
      else step.optional = v;
    }
    return ok ? step : undefined;
  },
};
