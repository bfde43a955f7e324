import type { ChatMessage, EmbedInput, EmbedRequest, InputRecord, LlmParams, ResponseFormat, Role } from "../types.js";
import { describeValue } from "./describe.js";

/**
 * Turns one parsed JSON object into an `InputRecord`, or says (as a string) why it cannot.
 *
 * Four shapes are accepted:
 * - a plain record: optional `id`, optional `prompt` or `messages`, any other fields. Having
 *   neither prompt nor messages is fine here: a pipeline template may build the prompt from
 *   other fields, and only the engine knows whether it does.
 * - an OpenAI Batch API request line (`custom_id` + `body`), so files prepared for
 *   `/v1/batches` run unchanged: id = custom_id, and `body` is the request (for
 *   `/v1/chat/completions` or `/v1/embeddings`, by its `url`).
 * - a whole chat-completions body (`messages` with `model` or a parameter on the line itself:
 *   the request files of OpenAI's cookbook `api_request_parallel_processor.py`): the line is the
 *   request, except `id` and `metadata`, which are llmbatch's.
 * - a whole embeddings body (`model` and `input`, with neither `messages` nor `prompt`: the same
 *   script's headline example): the line is the request, except `id` and `metadata`.
 *
 * A request body is sent as it is: its model and parameters are the record's own, and every key
 * llmbatch does not read itself travels in `extra`, for the provider to judge.
 *
 * Messages name the field and the value received; the caller adds file and line.
 */
export function toRecord(obj: Record<string, unknown>, line: number): InputRecord | string {
  try {
    if (isBatchRequest(obj)) return fromBatchRequest(obj, line);
    if (isEmbeddingsBody(obj)) return fromEmbeddingsBody(obj, line);
    return isChatBody(obj) ? fromChatBody(obj, line) : fromPlain(obj, line);
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
/** The Batch API endpoints whose requests llmbatch can run. */
export const CHAT_COMPLETIONS_URL = "/v1/chat/completions";
export const EMBEDDINGS_URL = "/v1/embeddings";

/** Validation failure inside this module; `toRecord` turns it into its return value. */
class FieldError extends Error {}

/** `custom_id` is what marks a Batch API line: plain data rarely has it, while `url`/`body` are common field names. */
function isBatchRequest(obj: Record<string, unknown>): boolean {
  return "custom_id" in obj && "body" in obj;
}

/**
 * The request fields of Chat Completions besides `model` and `messages` (openai-node's
 * `ChatCompletionCreateParamsBase`).
 */
export const CHAT_COMPLETIONS_PARAMS: ReadonlySet<string> = new Set([
  "audio",
  "frequency_penalty",
  "function_call",
  "functions",
  "logit_bias",
  "logprobs",
  "max_completion_tokens",
  "max_tokens",
  "metadata",
  "modalities",
  "moderation",
  "n",
  "parallel_tool_calls",
  "prediction",
  "presence_penalty",
  "prompt_cache_key",
  "prompt_cache_options",
  "prompt_cache_retention",
  "reasoning_effort",
  "response_format",
  "safety_identifier",
  "seed",
  "service_tier",
  "stop",
  "store",
  "stream",
  "stream_options",
  "temperature",
  "tool_choice",
  "tools",
  "top_logprobs",
  "top_p",
  "user",
  "verbosity",
  "web_search_options",
]);

/**
 * A line with `messages` and its `model` or any Chat Completions parameter is a chat-completions
 * body: its parameters must be sent, not read as template data. A plain record with `messages`
 * (a chat export, a fine-tuning file) has neither.
 */
function isChatBody(obj: Record<string, unknown>): boolean {
  if (obj.messages === undefined) return false;
  if (obj.model !== undefined) return true;
  for (const key in obj) if (CHAT_COMPLETIONS_PARAMS.has(key)) return true;
  return false;
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
  if (obj.url !== CHAT_COMPLETIONS_URL && obj.url !== EMBEDDINGS_URL) {
    fail(`url must be "${CHAT_COMPLETIONS_URL}" or "${EMBEDDINGS_URL}" (the Batch API endpoints llmbatch runs), got ${describeValue(obj.url)}`);
  }
  if (obj.method !== undefined && obj.method !== "POST") fail(`method must be "POST", got ${describeValue(obj.method)}`);
  const body = obj.body;
  if (!isPlainObject(body)) fail(`body must be an object, got ${describeValue(body)}`);
  const record: InputRecord = { id, line, vars: obj, body: "batch" };
  // The Batch API sends the body as it is, `metadata` included; it is also copied into the result.
  if (obj.url === EMBEDDINGS_URL) {
    if (body.input === undefined) fail(`body.input is required in a Batch API request line for ${EMBEDDINGS_URL}`);
    return readEmbeddingsBody(record, body, "body.", NOTHING_OWNED);
  }
  if (body.messages === undefined) fail("body.messages is required in a Batch API request line");
  return readBody(record, body, "body.", NOTHING_OWNED);
}

/**
 * A line with `model` and `input` and neither `messages` nor `prompt` is an embeddings body (the
 * cookbook's `{"model": "text-embedding-3-small", "input": "…"}`): a chat line or a plain record
 * has one of the two.
 */
function isEmbeddingsBody(obj: Record<string, unknown>): boolean {
  return obj.input !== undefined && obj.model !== undefined && obj.messages === undefined && obj.prompt === undefined;
}

/** As with chat bodies, `id` and `metadata` are llmbatch's: `/v1/embeddings` has no `metadata` field at all. */
function fromEmbeddingsBody(obj: Record<string, unknown>, line: number): InputRecord {
  return readEmbeddingsBody({ id: readId(obj.id, "id", line), line, vars: obj, body: "embeddings" }, obj, "", ID_AND_METADATA_OWNED);
}

/** Keys of an embeddings body that llmbatch reads itself; the others travel in `extra`. */
const EMBED_READ_KEYS: ReadonlySet<string> = new Set(["model", "input", "dimensions", "encoding_format"]);
const ENCODING_FORMATS = ["float", "base64"] as const;

/** Fills a record from an embeddings body; `at` prefixes field names in messages (`body.`). */
function readEmbeddingsBody(record: InputRecord, body: Record<string, unknown>, at: string, owned: ReadonlySet<string>): InputRecord {
  if (typeof body.model !== "string" || body.model === "") fail(`${at}model must be a non-empty string, got ${describeValue(body.model)}`);
  record.model = body.model;
  const embedding: NonNullable<InputRecord["embedding"]> = { input: readEmbedInput(body.input, `${at}input`) };
  // `null` means unset, as in OpenAI's API.
  if (body.dimensions != null) {
    if (!Number.isSafeInteger(body.dimensions) || (body.dimensions as number) <= 0)
      fail(`${at}dimensions must be a positive integer, got ${describeValue(body.dimensions)}${tooLargeHint(body.dimensions)}`);
    embedding.dimensions = body.dimensions as number;
  }
  if (body.encoding_format != null) {
    if (!(ENCODING_FORMATS as readonly unknown[]).includes(body.encoding_format)) {
      fail(`${at}encoding_format must be one of ${ENCODING_FORMATS.join(", ")}, got ${describeValue(body.encoding_format)}`);
    }
    embedding.encoding_format = body.encoding_format as EmbedRequest["encoding_format"];
  }
  record.embedding = embedding;
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(body)) {
    if (EMBED_READ_KEYS.has(key) || owned.has(key) || body[key] === undefined) continue;
    (extra ??= {})[key] = body[key];
  }
  if (extra) record.extra = extra;
  if (body.metadata !== undefined) record.metadata = body.metadata;
  return record;
}

/**
 * What `/v1/embeddings` takes: a string, a list of strings, a token array, or a list of token
 * arrays. Emptiness is the server's to judge (OpenAI refuses `""` and `[]` with a 400).
 */
function readEmbedInput(value: unknown, field: string): EmbedInput {
  const expected = "a string, a list of strings, or token ids (a list of integers, or a list of such lists)";
  if (typeof value === "string") return value;
  if (!Array.isArray(value)) return fail(`${field} must be ${expected}, got ${describeValue(value)}`);
  const first: unknown = value[0];
  const kind = typeof first === "string" ? "string" : isTokenId(first) ? "token" : Array.isArray(first) ? "tokens" : undefined;
  value.forEach((item: unknown, i) => {
    const fits = kind === "string" ? typeof item === "string" : kind === "token" ? isTokenId(item) : Array.isArray(item) && item.every(isTokenId);
    if (!fits) fail(`${field} must be ${expected}, but ${field}[${i}] is ${describeValue(item)}`);
  });
  return value as EmbedInput;
}

function isTokenId(value: unknown): boolean {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/**
 * The cookbook's script pops `metadata` before sending and hands it back with the result; OpenAI
 * accepts `metadata` only with `store: true` (and only string values), so it is sent only then.
 */
function fromChatBody(obj: Record<string, unknown>, line: number): InputRecord {
  const record: InputRecord = { id: readId(obj.id, "id", line), line, vars: obj, body: "chat" };
  return readBody(record, obj, "", obj.store === true ? ID_OWNED : ID_AND_METADATA_OWNED);
}

const NOTHING_OWNED: ReadonlySet<string> = new Set();
const ID_OWNED: ReadonlySet<string> = new Set(["id"]);
const ID_AND_METADATA_OWNED: ReadonlySet<string> = new Set(["id", "metadata"]);

/**
 * Keys of a request body that llmbatch reads itself (the output caps are read too, but sent under
 * their own name). `stream` is refused when true: llmbatch reads each reply whole.
 */
const READ_KEYS: ReadonlySet<string> = new Set(["model", "messages", "stream", "temperature", "top_p", "seed", "stop", "response_format", "n"]);

/** Fills a record from a request body; `at` prefixes field names in messages (`body.`). */
function readBody(record: InputRecord, body: Record<string, unknown>, at: string, owned: ReadonlySet<string>): InputRecord {
  record.messages = readMessages(body.messages, `${at}messages`);
  if (body.model !== undefined && body.model !== null) {
    if (typeof body.model !== "string" || body.model === "") fail(`${at}model must be a non-empty string, got ${describeValue(body.model)}`);
    record.model = body.model;
  }
  if (body.stream != null && body.stream !== false) fail(`${at}stream must be false or absent (llmbatch reads each reply whole), got ${describeValue(body.stream)}`);
  const params = readParams(body, at);
  if (Object.keys(params).length > 0) record.params = params;
  let extra: Record<string, unknown> | undefined;
  for (const key of Object.keys(body)) {
    if (READ_KEYS.has(key) || owned.has(key) || key === params.max_tokens_field || body[key] === undefined) continue;
    (extra ??= {})[key] = body[key];
  }
  if (extra) record.extra = extra;
  if (body.metadata !== undefined) record.metadata = body.metadata;
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

/**
 * Validates a chat array and returns it as it is: every key of a message (`name`, `tool_calls`,
 * `tool_call_id`, …) and every content part (`image_url`, `input_audio`, …) is sent on unchanged.
 */
function readMessages(value: unknown, field: string): ChatMessage[] {
  if (!Array.isArray(value)) fail(`${field} must be an array of {role, content}, got ${describeValue(value)}`);
  if (value.length === 0) fail(`${field} must not be empty`);
  let messages = value as ChatMessage[];
  const withNullContent = (i: number, m: Record<string, unknown>): void => {
    if (messages === value) messages = [...messages]; // the input's own array stays as it was read
    messages[i] = { ...m, content: null } as ChatMessage;
  };
  value.forEach((m: unknown, i) => {
    const at = `${field}[${i}]`;
    if (!isPlainObject(m)) fail(`${at} must be an object with role and content, got ${describeValue(m)}`);
    if (typeof m.role !== "string" || !(ROLES as readonly string[]).includes(m.role)) {
      fail(`${at}.role must be one of ${ROLES.join(", ")}, got ${describeValue(m.role)}`);
    }
    const content = m.content;
    if (typeof content === "string") return;
    if (Array.isArray(content)) return content.forEach((part: unknown, j) => checkPart(part, `${at}.content[${j}]`));
    // OpenAI's assistant turn that called tools has no text; exporters write null or leave it out.
    if (content == null && m.role === "assistant" && (m.tool_calls != null || m.function_call != null)) {
      if (content === undefined) withNullContent(i, m);
      return;
    }
    fail(`${at}.content must be a string or an array of content parts, got ${describeValue(content)}`);
  });
  return messages;
}

/** Text parts need their text and image parts their URL; other part types are the provider's to judge. */
function checkPart(part: unknown, at: string): void {
  if (!isPlainObject(part) || typeof part.type !== "string") fail(`${at} must be a content part {"type": …}, got ${describeValue(part)}`);
  if (part.type === "text" && typeof part.text !== "string") fail(`${at}.text must be a string, got ${describeValue(part.text)}`);
  if (part.type === "image_url" && !(isPlainObject(part.image_url) && typeof part.image_url.url === "string")) {
    fail(`${at}.image_url must be an object with a string url, got ${describeValue(part.image_url)}`);
  }
}

/**
 * The parameters of a request body that llmbatch reads (for the output cap, the TPM estimate and
 * `--max-cost`, and Ollama's mapping); `null` means unset, as in OpenAI's API. When both caps are
 * given, `max_completion_tokens` is the one read and `max_tokens` is sent on beside it.
 */
function readParams(body: Record<string, unknown>, at: string): LlmParams {
  const params: LlmParams = {};
  const maxKey = body.max_completion_tokens != null ? "max_completion_tokens" : "max_tokens";
  const max = body[maxKey];
  if (max != null) {
    if (!Number.isInteger(max) || (max as number) <= 0) fail(`${at}${maxKey} must be a positive integer, got ${describeValue(max)}${tooLargeHint(max)}`);
    params.max_tokens = max as number;
    params.max_tokens_field = maxKey;
  }
  for (const key of ["temperature", "top_p"] as const) {
    const v = body[key];
    if (v == null) continue;
    if (typeof v !== "number" || !Number.isFinite(v)) fail(`${at}${key} must be a number, got ${describeValue(v)}`);
    params[key] = v;
  }
  for (const key of ["seed", "n"] as const) {
    const v = body[key];
    if (v == null) continue;
    if (!Number.isInteger(v) || (key === "n" && (v as number) < 1)) fail(`${at}${key} must be ${key === "n" ? "a positive integer" : "an integer"}, got ${describeValue(v)}${tooLargeHint(v)}`);
    params[key] = v as number;
  }
  if (body.stop != null) params.stop = readStop(body.stop, at);
  if (body.response_format != null) params.response_format = readResponseFormat(body.response_format, at);
  return params;
}

/** For an integer parameter past 2^53, which the JSONL reader keeps as the string of its digits (exact-id.ts). */
function tooLargeHint(value: unknown): string {
  return typeof value === "string" && /^-?[0-9]{16,}$/.test(value) ? " (an integer too large for a double is read as its digits, as a string, and cannot be sent as the number it was)" : "";
}

function readStop(stop: unknown, at: string): string | string[] {
  if (typeof stop === "string") return stop;
  if (Array.isArray(stop) && stop.every((s) => typeof s === "string")) return stop as string[];
  return fail(`${at}stop must be a string or an array of strings, got ${describeValue(stop)}`);
}

/** Checked for what Ollama's `format` needs; the object itself (a `description` too) is what is sent. */
function readResponseFormat(value: unknown, at: string): ResponseFormat {
  const field = `${at}response_format`;
  if (!isPlainObject(value)) fail(`${field} must be an object, got ${describeValue(value)}`);
  if (value.type === "text" || value.type === "json_object") return value as ResponseFormat;
  if (value.type !== "json_schema") {
    fail(`${field}.type must be one of text, json_object, json_schema, got ${describeValue(value.type)}`);
  }
  const schema = value.json_schema;
  if (!isPlainObject(schema) || typeof schema.name !== "string") {
    fail(`${field}.json_schema must be an object with a string name, got ${describeValue(schema)}`);
  }
  if (schema.schema !== undefined && !isPlainObject(schema.schema)) fail(`${field}.json_schema.schema must be an object, got ${describeValue(schema.schema)}`);
  if (schema.strict !== undefined && typeof schema.strict !== "boolean") fail(`${field}.json_schema.strict must be a boolean, got ${describeValue(schema.strict)}`);
  return value as ResponseFormat;
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fail(message: string): never {
  throw new FieldError(message);
}
