/**
 * Validation of a `POST /v1/chat/completions` body into what the simulator needs,
 * with OpenAI's 400 wording for what is wrong. Only fields that change the simulated
 * behaviour are read; the rest are accepted and ignored, as the API does.
 */
import { isRecord } from "./http.js";
import { type OpenAIError, openaiErrors } from "./openai-errors.js";
import type { ReplyFormat } from "./replies.js";
import type { CountableMessage } from "./tokens.js";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

export interface ChatRequest {
  model: string;
  messages: CountableMessage[];
  /** `max_completion_tokens ?? max_tokens`. */
  maxTokens: number | undefined;
  /** Whether the deprecated `max_tokens` was the one given (reasoning models reject it). */
  usedLegacyMaxTokens: boolean;
  temperature: number | undefined;
  n: number;
  format: ReplyFormat;
  serviceTier: string;
  stream: boolean;
  /** Text of the last user message: where directives are read from. */
  lastUserText: string;
}

/** A string, or the text parts of a content-part array; images and audio count as nothing. */
function contentText(content: unknown): string | undefined {
  if (typeof content === "string") return content;
  if (content === null || content === undefined) return "";
  if (!Array.isArray(content)) return undefined;
  let text = "";
  for (const part of content) {
    if (isRecord(part) && part["type"] === "text" && typeof part["text"] === "string") text += part["text"];
  }
  return text;
}

function positiveInt(body: Record<string, unknown>, key: string): number | OpenAIError | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return openaiErrors.badRequest(`Invalid type for '${key}': expected an integer, but got ${typeof value} instead.`, key, "invalid_type");
  }
  if (value < 1) {
    return openaiErrors.badRequest(
      `Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`,
      key,
      "integer_below_min_value",
    );
  }
  return value;
}

function parseFormat(value: unknown): ReplyFormat | OpenAIError {
  if (value === undefined || value === null) return { kind: "text" };
  const type = isRecord(value) ? value["type"] : undefined;
  if (type === "text") return { kind: "text" };
  if (type === "json_object") return { kind: "json_object" };
  if (type === "json_schema" && isRecord(value)) {
    const spec = value["json_schema"];
    if (!isRecord(spec)) return openaiErrors.missingParameter("response_format.json_schema");
    if (typeof spec["name"] !== "string" || !/^[a-zA-Z0-9_-]{1,64}$/.test(spec["name"])) {
      return openaiErrors.badRequest(
        "Invalid 'response_format.json_schema.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.",
        "response_format.json_schema.name",
        "invalid_value",
      );
    }
    const schema = spec["schema"];
    return isRecord(schema) ? { kind: "json_schema", schema } : { kind: "json_object" };
  }
  return openaiErrors.badRequest(
    `Invalid value: '${String(type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`,
    "response_format.type",
    "invalid_value",
  );
}

export function parseChatRequest(body: unknown): ChatRequest | OpenAIError {
  if (!isRecord(body)) return openaiErrors.invalidJsonBody();
  const model = body["model"];
  if (typeof model !== "string" || model.length === 0) return openaiErrors.missingParameter("model");

  const rawMessages = body["messages"];
  if (rawMessages === undefined || rawMessages === null) return openaiErrors.missingParameter("messages");
  if (!Array.isArray(rawMessages)) {
    return openaiErrors.badRequest("Invalid type for 'messages': expected an array of objects.", "messages", "invalid_type");
  }
  if (rawMessages.length === 0) {
    return openaiErrors.badRequest(
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
      "messages",
      "empty_array",
    );
  }
  const messages: CountableMessage[] = [];
  let lastUserText = "";
  for (const [i, raw] of rawMessages.entries()) {
    const role = isRecord(raw) ? raw["role"] : undefined;
    if (typeof role !== "string" || !ROLES.has(role)) {
      return openaiErrors.badRequest(
        `Invalid value: '${String(role)}'. Supported values are: 'system', 'assistant', 'user', 'function', 'tool', and 'developer'.`,
        `messages[${i}].role`,
        "invalid_value",
      );
    }
    const content = contentText(isRecord(raw) ? raw["content"] : undefined);
    if (content === undefined) {
      return openaiErrors.badRequest(`Invalid type for 'messages[${i}].content'.`, `messages[${i}].content`, "invalid_type");
    }
    const name = isRecord(raw) && typeof raw["name"] === "string" ? raw["name"] : undefined;
    messages.push(name ? { role, content, name } : { role, content });
    // A repair turn (a pipeline re-asking after invalid JSON) appends a user message without the
    // directive; the directive's message stays the one read, so its attempt count carries on.
    if (role === "user" && (content.includes("[[sim:") || !lastUserText.includes("[[sim:"))) lastUserText = content;
  }

  const maxCompletion = positiveInt(body, "max_completion_tokens");
  if (typeof maxCompletion === "object") return maxCompletion;
  const maxLegacy = positiveInt(body, "max_tokens");
  if (typeof maxLegacy === "object") return maxLegacy;
  const n = positiveInt(body, "n");
  if (typeof n === "object") return n;

  const format = parseFormat(body["response_format"]);
  if ("status" in format) return format;

  const temperature = body["temperature"];
  if (temperature !== undefined && temperature !== null && (typeof temperature !== "number" || temperature < 0 || temperature > 2)) {
    return openaiErrors.badRequest(
      `Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${String(temperature)} instead.`,
      "temperature",
      "decimal_above_max_value",
    );
  }
  const tier = body["service_tier"];
  return {
    model,
    messages,
    maxTokens: maxCompletion ?? maxLegacy,
    usedLegacyMaxTokens: maxLegacy !== undefined,
    temperature: typeof temperature === "number" ? temperature : undefined,
    n: n ?? 1,
    format,
    serviceTier: typeof tier === "string" && tier !== "auto" ? tier : "default",
    stream: body["stream"] === true,
    lastUserText,
  };
}
