import type { ChatMessage, InputRecord, LlmParams, ResponseFormat, Role } from "../types.js";
import { describeValue } from "./describe.js";

/**
 * Turns one parsed JSON object into an `InputRecord`, or says (as a string) why it cannot.
 *
 * Two shapes are accepted:
 * - a plain record: optional `id`, optional `prompt` or `messages`, any other fields. Having
 *   neither prompt nor messages is fine here: a pipeline template may build the prompt from
 *   other fields, and only the engine knows whether it does.
 * - an OpenAI Batch API request line (`custom_id` + `body`), so files prepared for
 *   `/v1/batches` run unchanged: id = custom_id, messages/model/params from `body`.
 *
 * Messages name the field and the value received; the caller adds file and line.
 */
export function toRecord(obj: Record<string, unknown>, line: number): InputRecord | string {
  try {
    return isBatchRequest(obj) ? fromBatchRequest(obj, line) : fromPlain(obj, line);
  } catch (err) {
    if (err instanceof FieldError) return err.message;
    throw err;
  }
}

/**
 * The id to report for a line that failed validation: its own id when that much is readable,
 * else `""`, which the id registry (dedupe.ts) turns into `#line-<n>`.
 */
export function recordId(obj: Record<string, unknown>, _line: number): string {
  const raw = isBatchRequest(obj) ? obj.custom_id : obj.id;
  if (typeof raw === "string") return raw;
  if (typeof raw === "number" && Number.isFinite(raw)) return String(raw);
  return "";
}

export const ROLES: readonly Role[] = ["system", "developer", "user", "assistant", "tool"];
/** The only Batch API endpoint whose requests llmbatch can run. */
export const CHAT_COMPLETIONS_URL = "/v1/chat/completions";

/** Validation failure inside this module; `toRecord` turns it into its return value. */
class FieldError extends Error {}

/** `custom_id` is what marks a Batch API line: plain data rarely has it, while `url`/`body` are common field names. */
function isBatchRequest(obj: Record<string, unknown>): boolean {
  return "custom_id" in obj && "body" in obj;
}

function fromPlain(obj: Record<string, unknown>, line: number): InputRecord {
  const record: InputRecord = { id: readId(obj.id, "id", line), line, vars: obj };
  if (obj.prompt !== undefined) {
    if (typeof obj.prompt !== "string") fail(`prompt must be a string, got ${describeValue(obj.prompt)}`);
    record.prompt = obj.prompt;
  }
  if (obj.messages !== undefined) record.messages = readMessages(obj.messages, "messages");
  return record;
}

function fromBatchRequest(obj: Record<string, unknown>, line: number): InputRecord {
  const id = readId(obj.custom_id, "custom_id", line);
  if (obj.url !== CHAT_COMPLETIONS_URL) {
    fail(`url must be "${CHAT_COMPLETIONS_URL}" (the only Batch API endpoint llmbatch runs), got ${describeValue(obj.url)}`);
  }
  if (obj.method !== undefined && obj.method !== "POST") fail(`method must be "POST", got ${describeValue(obj.method)}`);
  const body = obj.body;
  if (!isPlainObject(body)) fail(`body must be an object, got ${describeValue(body)}`);
  if (body.messages === undefined) fail("body.messages is required in a Batch API request line");
  const record: InputRecord = { id, line, vars: obj, messages: readMessages(body.messages, "body.messages") };
  if (body.model !== undefined && body.model !== null) {
    if (typeof body.model !== "string" || body.model === "") fail(`body.model must be a non-empty string, got ${describeValue(body.model)}`);
    record.model = body.model;
  }
  const params = readParams(body);
  if (Object.keys(params).length > 0) record.params = params;
  return record;
}

/**
 * Ids are strings in the output; numbers are accepted because spreadsheets and exports produce
 * them (the JSONL reader has already replaced a number that `String()` would not give back as
 * written by its text, see exact-id.ts). `""` means "no id of its own": the id registry
 * (dedupe.ts) gives the record its content id.
 */
function readId(value: unknown, field: string, _line: number): string {
  // Absent, null and "" all mean "no id": a CSV cell cannot tell them apart, so JSON follows suit.
  if (value === undefined || value === null || value === "") return "";
  if (typeof value === "string") return value;
  if (typeof value === "number" && Number.isFinite(value)) return String(value);
  return fail(`${field} must be a string or a number, got ${describeValue(value)}`);
}

function readMessages(value: unknown, field: string): ChatMessage[] {
  if (!Array.isArray(value)) fail(`${field} must be an array of {role, content}, got ${describeValue(value)}`);
  if (value.length === 0) fail(`${field} must not be empty`);
  return value.map((m: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(m)) fail(`${at} must be an object with role and content, got ${describeValue(m)}`);
    if (typeof m.role !== "string" || !(ROLES as readonly string[]).includes(m.role)) {
      fail(`${at}.role must be one of ${ROLES.join(", ")}, got ${describeValue(m.role)}`);
    }
    // Content parts (images, audio) have no equivalent in every provider, so only text is accepted.
    if (typeof m.content !== "string") fail(`${at}.content must be a string, got ${describeValue(m.content)}`);
    return { role: m.role as Role, content: m.content };
  });
}

/** The generation parameters of a Batch API body that llmbatch sends on; `null` means unset, as in OpenAI's API. */
function readParams(body: Record<string, unknown>): LlmParams {
  const params: LlmParams = {};
  const maxKey = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const max = body[maxKey];
  if (max != null) {
    if (!Number.isInteger(max) || (max as number) <= 0) fail(`body.${maxKey} must be a positive integer, got ${describeValue(max)}`);
    params.max_tokens = max as number;
  }
  for (const key of ["temperature", "top_p"] as const) {
    const v = body[key];
    if (v == null) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(`body.${key} must be a number, got ${describeValue(v)}`);
    params[key] = v;
  }
  if (body.seed != null) {
    if (!Number.isInteger(body.seed)) fail(`body.seed must be an integer, got ${describeValue(body.seed)}`);
    params.seed = body.seed as number;
  }
  if (body.stop != null) params.stop = readStop(body.stop);
  if (body.response_format != null) params.response_format = readResponseFormat(body.response_format);
  return params;
}

function readStop(stop: unknown): string | string[] {
  if (typeof stop === "string") return stop;
  if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) return stop as string[];
  return fail(`body.stop must be a string or an array of strings, got ${describeValue(stop)}`);
}

function readResponseFormat(value: unknown): ResponseFormat {
  const field = "body.response_format";
  if (!isPlainObject(value)) fail(`${field} must be an object, got ${describeValue(value)}`);
  if (value.type === "text" || value.type === "json_object") return { type: value.type };
  if (value.type !== "json_schema") {
    fail(`${field}.type must be one of text, json_object, json_schema, got ${describeValue(value.type)}`);
  }
  const schema = value.json_schema;
  if (!isPlainObject(schema) || typeof schema.name !== "string") {
    fail(`${field}.json_schema must be an object with a string name, got ${describeValue(schema)}`);
  }
  const out: ResponseFormat = { type: "json_schema", json_schema: { name: schema.name } };
  if (schema.schema !== undefined) {
    if (!isPlainObject(schema.schema)) fail(`${field}.json_schema.schema must be an object, got ${describeValue(schema.schema)}`);
    out.json_schema.schema = schema.schema;
  }
  if (schema.strict !== undefined) {
    if (typeof schema.strict !== "boolean") fail(`${field}.json_schema.strict must be a boolean, got ${describeValue(schema.strict)}`);
    out.json_schema.strict = schema.strict;
  }
  return out;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new FieldError(message);
}
