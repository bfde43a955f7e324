/**
 * `method: generate`: one chat completion from a prompt template, or from a system template plus
 * a list of message templates.
 */
import type { Role } from "../../types.js";
import { ON_TRUNCATED, type GenerateStep } from "../step-types.js";
import { readParams, readStepLimits } from "../params.js";
import { checkTemplate } from "../template-refs.js";
import type { StepMethod } from "./step-method.js";

/**
 * `tool` is left out on purpose: a tool message needs the id of an assistant tool call, which a
 * static pipeline cannot provide, so the provider would reject every record.
 */
const MESSAGE_ROLES = ["system", "developer", "user", "assistant"] as const satisfies readonly Role[];

export const generateStep: StepMethod<GenerateStep> = {
  keys: ["prompt", "system", "messages", "model", "params", "schema", "repair_attempts", "retries", "limits", "on_truncated"],

  parse(fields, ctx) {
    const { reader: r, where, order } = ctx;
    const step: GenerateStep = { id: ctx.id, method: "generate", params: {} };
    let ok = true;
    const template = (name: "prompt" | "system"): void => {
      const f = fields.get(name);
      if (f === undefined) return;
      const text = r.string(f, { nonEmpty: true });
      if (text === undefined) ok = false;
      else {
        checkTemplate(r, f.value, text, f.path, order);
        step[name] = text;
      }
    };
    template("prompt");
    template("system");

    const messagesField = fields.get("messages");
    if (messagesField !== undefined) {
      const items = r.list(messagesField);
      if (items === undefined) ok = false;
      else if (items.length === 0) {
        r.report(messagesField.value, `${messagesField.path} must list at least one message`);
        ok = false;
      } else {
        const messages: { role: Role; content: string }[] = [];
        items.forEach((item, i) => {
          const path = `${messagesField.path}[${i}]`;
          const mf = r.map(item, path, path, ["role", "content"]);
          if (mf === undefined) return;
          r.requireKeys(mf, item, path, ["role", "content"]);
          const roleField = mf.get("role");
          const contentField = mf.get("content");
          const role = roleField && r.oneOf(roleField, MESSAGE_ROLES);
          const content = contentField && r.string(contentField, { nonEmpty: true });
          if (contentField !== undefined && content !== undefined) checkTemplate(r, contentField.value, content, contentField.path, order);
          if (role !== undefined && content !== undefined) messages.push({ role, content });
        });
        if (messages.length === items.length) step.messages = messages;
        else ok = false;
      }
    }

    // One source of the conversation keeps the request unambiguous: prompt alone, or messages.
    if (!fields.has("prompt") && messagesField === undefined) {
      r.report(ctx.node, `${where} needs a "prompt" or "messages"`);
      ok = false;
    } else if (fields.has("prompt") && messagesField !== undefined) {
      r.report(messagesField.key, `${where} has both "prompt" and "messages"; use prompt, or system + messages`);
      ok = false;
    }

    const modelField = fields.get("model");
    if (modelField !== undefined) {
      const model = r.string(modelField, { nonEmpty: true });
      if (model === undefined) ok = false;
      else step.model = model;
    }
    const paramsField = fields.get("params");
    if (paramsField !== undefined) step.params = readParams(r, paramsField);

    const schemaField = fields.get("schema");
    if (schemaField !== undefined) {
      const schema = r.jsonSchema(schemaField);
      if (schema === undefined) ok = false;
      else step.schema = schema;
    }
    const repairField = fields.get("repair_attempts");
    if (repairField !== undefined) {
      const n = r.nonNegativeInt(repairField, 10);
      if (n === undefined) ok = false;
      else if (schemaField === undefined) {
        r.report(repairField.key, `${repairField.path} needs a "schema" on the same step: only structured output is repaired`);
        ok = false;
      } else step.repair_attempts = n;
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
    const truncatedField = fields.get("on_truncated");
    if (truncatedField !== undefined) {
      const policy = r.oneOf(truncatedField, ON_TRUNCATED);
      if (policy === undefined) ok = false;
      else step.on_truncated = policy;
    }

    return ok ? step : undefined;
  },
};
