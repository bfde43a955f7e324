/**
 * Structured output of a `generate` step: the `response_format` sent (OpenAI `json_schema`; the
 * Ollama provider turns it into `format`), the check of each reply, and the repair message sent
 * back when a reply does not pass.
 */
import type { ResponseFormat } from "../../types.js";
import { parseJsonReply } from "../../lang/json-path.js";
import { compileSchema } from "../../lang/json-schema.js";

export type Checked = { ok: true; value: unknown } | { ok: false; code: "invalid_json" | "schema_mismatch"; problem: string };

export interface StructuredOutput {
  responseFormat: ResponseFormat;
  check(text: string, finishReason: string): Checked;
  repairPrompt(problem: string): string;
}

export function structuredOutput(stepId: string, schema: Record<string, unknown>): StructuredOutput {
  const validate = compileSchema(schema);
  return {
    // OpenAI allows a-z, A-Z, 0-9, "_" and "-" in the name, at most 64 characters: step ids fit.
    responseFormat: { type: "json_schema", json_schema: { name: stepId.slice(0, 64), schema } },
    check(text, finishReason) {
      let value: unknown;
      try {
        value = parseJsonReply(text);
      } catch (e) {
        const cut = finishReason === "length" ? " (it was cut off at the output token limit; raise max_tokens)" : "";
        return { ok: false, code: "invalid_json", problem: `is not valid JSON: ${(e as Error).message}${cut}` };
      }
      const r = validate(value);
      return r.ok ? { ok: true, value } : { ok: false, code: "schema_mismatch", problem: `does not match the schema: ${r.errors.join("; ")}` };
    },
    repairPrompt: (problem) => `Your previous reply ${problem}. Reply again with only a JSON value that matches the requested JSON Schema, with no other text.`,
  };
}
