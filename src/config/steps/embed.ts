/**
 * `method: embed`: one embeddings request per record, from an input template (one vector) or a list
 * of them (one request, a list of vectors).
 */
import { readStepLimits } from "../params.js";
import { ENCODING_FORMATS, type EmbedStep } from "../step-types.js";
import { checkTemplate } from "../template-refs.js";
import { describe, isSeq, type Field } from "../yaml-reader.js";
import type { StepMethod } from "./step-method.js";

export const embedStep: StepMethod<EmbedStep> = {
  keys: ["input", "model", "dimensions", "encoding_format", "retries", "limits"],

  parse(fields, ctx) {
    const { reader: r, where, order } = ctx;
    let ok = true;
    if (!fields.has("input")) {
      r.report(ctx.node, `${where} needs an "input": the text template to embed, or a list of them`);
      ok = false;
    }
    // No chat model is ever assumed for an embedding, so the model is the step's to name.
    if (!fields.has("model")) {
      r.report(ctx.node, `${where} needs a "model": the embeddings model, e.g. text-embedding-3-small or ollama:nomic-embed-text`);
      ok = false;
    }
    const step: Omit<EmbedStep, "when" | "on_error"> = { id: ctx.id, method: "embed", input: "", model: "" };

    const inputField = fields.get("input");
    if (inputField !== undefined) {
      const template = (f: Field): string | undefined => {
        const text = r.string(f, { nonEmpty: true });
        if (text !== undefined) checkTemplate(r, f.value, text, f.path, order);
        return text;
      };
      if (isSeq(inputField.value)) {
        const items = r.list(inputField) ?? [];
        const texts = items.map((value, i) => template({ ...inputField, value, path: `${inputField.path}[${i}]` }));
        if (items.length === 0) {
          r.report(inputField.value, `${inputField.path} must be a template or a non-empty list of templates, got ${describe(inputField.value)}`, inputField.key.range?.[1]);
          ok = false;
        } else if (texts.every((t) => t !== undefined)) step.input = texts as string[];
        else ok = false;
      } else {
        const text = template(inputField);
        if (text === undefined) ok = false;
        else step.input = text;
      }
    }

    const modelField = fields.get("model");
    if (modelField !== undefined) {
      const model = r.string(modelField, { nonEmpty: true });
      if (model === undefined) ok = false;
      else step.model = model;
    }
    const dimensionsField = fields.get("dimensions");
    if (dimensionsField !== undefined) {
      const n = r.positiveInt(dimensionsField);
      if (n === undefined) ok = false;
      else step.dimensions = n;
    }
    const formatField = fields.get("encoding_format");
    if (formatField !== undefined) {
      const format = r.oneOf(formatField, ENCODING_FORMATS);
      if (format === undefined) ok = false;
      else step.encoding_format = format;
    }
    const limitsField = fields.get("limits");
    if (limitsField !== undefined) {
      const limits = readStepLimits(r, limitsField);
      if (limits === undefined) ok = false;
      else step.limits = limits;
    }
    const retriesField = fields.get("retries");
    if (retriesField !== undefined) {
      const n = r.nonNegativeInt(retriesField, 100);
      if (n === undefined) ok = false;
      else step.retries = n;
    }
    return ok ? step : undefined;
  },
};
