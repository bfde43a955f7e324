/**
 * Validation of a `POST /v1/chat/completions` body into what the simulator needs,
 * with OpenAI's 400 wording for what is wrong. Only fields that change the simulated
 * behaviour are read; the rest are accepted and ignored, as the API does.
 */
import { CHAT_COMPLETIONS_PARAMS } from "../io/record.js";
import { isRecord } from "./http.js";
import { type OpenAIError, openaiErrors } from "./openai-errors.js";
import type { ReplyFormat } from "./replies.js";
import type { PromptFields } from "../tokens/token-estimate.js";
import type { CountableMessage } from "./tokens.js";

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);

/** OpenAI refuses a field its Chat Completions endpoint does not have. */
const KNOWN_FIELDS = new Set(["messages", "model", ...CHAT_COMPLETIONS_PARAMS]);

/** Parameters OpenAI's reasoning models refuse with 400 `unsupported_parameter`. */
const REASONING_UNSUPPORTED = ["logprobs", "top_logprobs", "logit_bias", "presence_penalty", "frequency_penalty", "top_p"];

/** A function the request offers (`tools: [{type: "function", function: {name, parameters}}]`). */
export interface OfferedTool {
  name: string;
  parameters: Record<string, unknown> | undefined;
}

export interface ChatRequest {
  model: string;
  messages: CountableMessage[];
  /** `max_completion_tokens ?? max_tokens`. */
  maxTokens: number | undefined;
  /** `max_tokens` alone: the only cap Ollama's /v1 reads. */
  legacyMaxTokens: number | undefined;
  /** Whether the deprecated `max_tokens` was the one given (reasoning models reject it). */
  usedLegacyMaxTokens: boolean;
  temperature: number | undefined;
  n: number;
  format: ReplyFormat;
  serviceTier: string;
  stream: boolean;
  /** Text of the last user message: where directives are read from. */
  lastUserText: string;
  /** The fields besides the messages that count as prompt (`tools`, `functions`, a JSON schema, `prediction`), as sent. */
  promptFields: PromptFields;
  /** The function the reply calls: `tool_choice`'s, else the first offered; none with `tool_choice: "none"`. */
  callTool: OfferedTool | undefined;
  /** The legacy function the reply calls (`functions`): `function_call`'s, else the first; none with `function_call: "none"`. */
  callFunction: OfferedTool | undefined;
  logprobs: boolean;
  topLogprobs: number;
  /** Non-null parameters given, for model-specific refusals. */
  given: Set<string>;
  /** A field Chat Completions does not have (OpenAI refuses it; Ollama's /v1 ignores it). */
  unknownField: string | undefined;
  /** `store: true`. */
  stored: boolean;
}

/** A message for counting: a string, or a content-part array's text parts and images. */
function countable(role: string, raw: Record<string, unknown>): CountableMessage | undefined {
  const content = raw["content"];
  const message: CountableMessage = { role, content: "" };
  if (typeof content === "string") message.content = content;
  else if (Array.isArray(content)) {
    const textParts: string[] = [];
    const images = { low: 0, other: 0 };
    for (const part of content) {
      if (!isRecord(part)) return undefined;
      if (part["type"] === "text" && typeof part["text"] === "string") textParts.push(part["text"]);
      else if (part["type"] === "image_url") images[isRecord(part["image_url"]) && part["image_url"]["detail"] === "low" ? "low" : "other"]++;
    }
    message.content = textParts.join("");
    message.textParts = textParts;
    if (images.low + images.other > 0) message.images = images;
  } else if (content !== null && content !== undefined) return undefined;
  if (typeof raw["name"] === "string") message.name = raw["name"];
  if (Array.isArray(raw["tool_calls"])) message.toolCalls = JSON.stringify(raw["tool_calls"]);
  if (isRecord(raw["function_call"])) message.functionCall = JSON.stringify(raw["function_call"]);
  return message;
}

function positiveInt(body: Record<string, unknown>, key: string): number | OpenAIError | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    return openaiErrors.badRequest(`Invalid type for '${key}': expected an integer, but got ${typeof value} instead.`, key, "invalid_type");
  }
  if (value < 1) {
    return openaiErrors.badRequest(`Invalid '${key}': integer below minimum value. Expected a value >= 1, but got ${value} instead.`, key, "integer_below_min_value");
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
  return openaiErrors.badRequest(`Invalid value: '${String(type)}'. Supported values are: 'text', 'json_object', and 'json_schema'.`, "response_format.type", "invalid_value");
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
    return openaiErrors.badRequest("Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.", "messages", "empty_array");
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
    const message = countable(role, raw as Record<string, unknown>);
    if (message === undefined) {
      return openaiErrors.badRequest(`Invalid type for 'messages[${i}].content'.`, `messages[${i}].content`, "invalid_type");
    }
    messages.push(message);
    const content = message.content;
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
    return openaiErrors.badRequest(`Invalid 'temperature': decimal above maximum value. Expected a value <= 2, but got ${String(temperature)} instead.`, "temperature", "decimal_above_max_value");
  }
  const tools = parseOffered(body, TOOLS);
  if ("status" in tools) return tools;
  const functions = parseOffered(body, FUNCTIONS);
  if ("status" in functions) return functions;
  const logprobs = body["logprobs"];
  if (logprobs !== undefined && logprobs !== null && typeof logprobs !== "boolean") {
    return openaiErrors.badRequest(`Invalid type for 'logprobs': expected a boolean, but got ${typeof logprobs} instead.`, "logprobs", "invalid_type");
  }
  const topLogprobs = body["top_logprobs"];
  if (topLogprobs !== undefined && topLogprobs !== null && !(Number.isInteger(topLogprobs) && (topLogprobs as number) >= 0 && (topLogprobs as number) <= 20)) {
    return openaiErrors.badRequest(`Invalid 'top_logprobs': integer above maximum value. Expected a value <= 20, but got ${String(topLogprobs)} instead.`, "top_logprobs", "integer_above_max_value");
  }
  const given = new Set<string>();
  let unknownField: string | undefined;
  for (const key in body) {
    if (body[key] === null || body[key] === undefined) continue;
    given.add(key);
    if (unknownField === undefined && !KNOWN_FIELDS.has(key)) unknownField = key;
  }
  const tier = body["service_tier"];
  return {
    model,
    messages,
    maxTokens: maxCompletion ?? maxLegacy,
    legacyMaxTokens: maxLegacy,
    usedLegacyMaxTokens: maxLegacy !== undefined,
    temperature: typeof temperature === "number" ? temperature : undefined,
    n: n ?? 1,
    format,
    serviceTier: typeof tier === "string" && tier !== "auto" ? tier : "default",
    stream: body["stream"] === true,
    lastUserText,
    promptFields: { tools: tools.raw, functions: functions.raw, response_format: body["response_format"], prediction: body["prediction"] },
    callTool: tools.call,
    callFunction: functions.call,
    logprobs: logprobs === true,
    topLogprobs: typeof topLogprobs === "number" ? topLogprobs : 0,
    given,
    unknownField,
    stored: body["store"] === true,
  };
}

/** A list of functions a request offers and the field that chooses among them. */
interface Offer {
  list: "tools" | "functions";
  choice: "tool_choice" | "function_call";
  /** One entry of the list as a function, undefined for one never called here, or OpenAI's 400. */
  read(item: unknown, i: number): OfferedTool | undefined | OpenAIError;
  /** The name the choice field asks for, if it names one. */
  named(choice: unknown): unknown;
}

const TOOLS: Offer = {
  list: "tools",
  choice: "tool_choice",
  read(tool, i) {
    if (!isRecord(tool)) return openaiErrors.badRequest(`Invalid type for 'tools[${i}]': expected an object.`, `tools[${i}]`, "invalid_type");
    if (tool["type"] !== "function") return undefined; // custom tools are accepted, never called here
    return offeredFunction(tool["function"], `tools[${i}].function.name`);
  },
  named: (choice) => (isRecord(choice) && isRecord(choice["function"]) ? choice["function"]["name"] : undefined),
};

/** The legacy `functions` and `function_call` (`"none"`, `"auto"` or `{name}`), which OpenAI's Chat Completions still takes. */
const FUNCTIONS: Offer = {
  list: "functions",
  choice: "function_call",
  read: (fn, i) => offeredFunction(fn, `functions[${i}].name`),
  named: (choice) => (isRecord(choice) ? choice["name"] : undefined),
};

function offeredFunction(fn: unknown, nameParam: string): OfferedTool | OpenAIError {
  if (!isRecord(fn) || typeof fn["name"] !== "string") return openaiErrors.missingParameter(nameParam);
  return { name: fn["name"], parameters: isRecord(fn["parameters"]) ? fn["parameters"] : undefined };
}

/**
 * `tools` and `tool_choice`, or `functions` and `function_call`, with OpenAI's 400s for the common
 * mistakes. The function called: the one the choice names, else the first; none with `"none"`.
 */
function parseOffered(body: Record<string, unknown>, offer: Offer): { raw: unknown[] | undefined; call: OfferedTool | undefined } | OpenAIError {
  const raw = body[offer.list];
  const choice = body[offer.choice];
  if (raw === undefined || raw === null) {
    if (choice !== undefined && choice !== null) {
      return openaiErrors.badRequest(`Invalid value for '${offer.choice}': '${offer.choice}' is only allowed when '${offer.list}' are specified.`, offer.choice);
    }
    return { raw: undefined, call: undefined };
  }
  if (!Array.isArray(raw)) return openaiErrors.badRequest(`Invalid type for '${offer.list}': expected an array of objects.`, offer.list, "invalid_type");
  const offered: OfferedTool[] = [];
  for (const [i, item] of raw.entries()) {
    const fn = offer.read(item, i);
    if (fn === undefined) continue;
    if ("status" in fn) return fn;
    offered.push(fn);
  }
  if (choice === "none") return { raw, call: undefined };
  const named = offer.named(choice);
  return { raw, call: offered.find((t) => t.name === named) ?? offered[0] };
}

/** The first sampling parameter a reasoning model refuses (`logprobs: false` is no request for them). */
export function reasoningRefusal(request: ChatRequest): string | undefined {
  return REASONING_UNSUPPORTED.find((k) => request.given.has(k) && !(k === "logprobs" && !request.logprobs));
}

/**
 * OpenAI's checks of fields its Chat Completions endpoint does not take as given: an unknown
 * field, and `metadata` without `store: true` (metadata labels stored completions; the 400 is
 * observed in openai-node users' reports, e.g. tmc/langchaingo#1484).
 */
export function openaiFieldError(request: ChatRequest): OpenAIError | undefined {
  if (request.unknownField !== undefined) return openaiErrors.unrecognizedArgument(request.unknownField);
  if (request.given.has("metadata") && !request.stored) {
    return openaiErrors.badRequest("The 'metadata' parameter is only allowed when 'store' is enabled.", "metadata");
  }
  return undefined;
}
