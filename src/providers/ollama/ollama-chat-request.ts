/**
 * An `LlmRequest` as Ollama's `/api/chat` body (ollama-js `ChatRequest`), or why Ollama cannot
 * take it. What has an equivalent is mapped: the sampling parameters to `options` (`max_tokens` is
 * `num_predict`), `tools`, `logprobs`/`top_logprobs`, `reasoning_effort` to `think`,
 * `response_format` to `format`, text parts to the message's content and base64 images to its
 * `images`. Anything else a record's own body asks for is refused by name: sending the request
 * without it would quietly answer another question.
 */
import type { ChatRequest, Message, Options, Tool, ToolCall as OllamaToolCall } from "ollama";
import type { ChatMessage, LlmRequest, ResponseFormat } from "../../types.js";

/** Ollama's sampling options that OpenAI spells the same way. */
const SAME_NAME_OPTIONS = new Set(["presence_penalty", "frequency_penalty"]);
/** `think` levels Ollama knows; OpenAI's `none` is `think: false` (as Ollama's own OpenAI layer maps it). */
const THINK_LEVELS = new Set(["low", "medium", "high"]);
const BASE64_IMAGE = /^data:image\/[\w.+-]+;base64,/;

/** The body, or a sentence naming what Ollama has no equivalent for. */
export function toOllamaChat(request: LlmRequest): ChatRequest | string {
  const unmapped: string[] = [];
  const p = request.params;
  const options: Partial<Options> = {};
  if (p.max_tokens !== undefined) options.num_predict = p.max_tokens;
  if (p.temperature !== undefined) options.temperature = p.temperature;
  if (p.top_p !== undefined) options.top_p = p.top_p;
  if (p.seed !== undefined) options.seed = p.seed;
  if (p.stop !== undefined) options.stop = typeof p.stop === "string" ? [p.stop] : p.stop;
  if (p.n !== undefined && p.n > 1) unmapped.push(`n: ${p.n} (Ollama writes one reply per request)`);

  const messages = toOllamaMessages(request.messages);
  if (typeof messages === "string") return messages;
  const body: ChatRequest = { model: request.model, messages };
  let toolsOff = false;
  for (const [key, value] of Object.entries(request.extra ?? {})) {
    if (value === null) continue; // unset, as in OpenAI's API
    if (SAME_NAME_OPTIONS.has(key)) (options as Record<string, unknown>)[key] = value;
    else if (key === "tools") body.tools = value as Tool[];
    else if (key === "logprobs") body.logprobs = value as boolean;
    else if (key === "top_logprobs") body.top_logprobs = value as number;
    // The second cap, when a body gives both: the smaller one holds.
    else if (key === "max_tokens" && typeof value === "number") options.num_predict = Math.min(options.num_predict ?? value, value);
    else if (key === "reasoning_effort" && (value === "none" || THINK_LEVELS.has(value as string))) body.think = value === "none" ? false : (value as "low" | "medium" | "high");
    // Values that only restate Ollama's own behaviour need no equivalent.
    else if (key === "tool_choice" && (value === "auto" || value === "none")) toolsOff = value === "none";
    else if (restatesDefault(key, value, request.extra)) continue;
    else unmapped.push(`${key}: ${short(value)}`);
  }
  if (unmapped.length > 0) {
    return `Ollama has no equivalent of ${unmapped.join(", ")} in the line's request; remove ${unmapped.length === 1 ? "it" : "them"} to run the line on Ollama`;
  }
  if (toolsOff) delete body.tools;
  if (Object.keys(options).length > 0) body.options = options;
  const format = formatOf(p.response_format);
  if (format !== undefined) body.format = format;
  return body;
}

/**
 * Whether a body field asks for nothing but what Ollama does anyway: an empty or default value, as
 * exported Batch files carry them (`logit_bias: {}`, `service_tier: "auto"`, `modalities: ["text"]`,
 * `store: false`, `parallel_tool_calls` with no tools to call, `user: ""`). `metadata` only labels
 * a stored completion (Ollama stores none); it is copied into the result all the same.
 */
function restatesDefault(key: string, value: unknown, extra: Record<string, unknown> | undefined): boolean {
  switch (key) {
    case "logit_bias":
      return isEmptyObject(value);
    case "service_tier":
      return value === "auto" || value === "default";
    case "modalities":
      return Array.isArray(value) && value.length === 1 && value[0] === "text";
    case "parallel_tool_calls":
      return value === true || (typeof value === "boolean" && !hasTools(extra));
    case "store":
      return value === false;
    case "user":
    case "safety_identifier":
      return value === "";
    case "metadata":
      return typeof value === "object";
    default:
      return false;
  }
}

function hasTools(extra: Record<string, unknown> | undefined): boolean {
  return Array.isArray(extra?.tools) && extra.tools.length > 0;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

/** A message field with nothing in it: an assistant turn's `annotations: []` (OpenAI's, exported with the reply). */
function emptyMessageField(key: string, value: unknown): boolean {
  return key === "annotations" && Array.isArray(value) && value.length === 0;
}

/**
 * Ollama's roles are system/user/assistant/tool: `developer` (OpenAI's newer name for the system
 * role) becomes `system`, since its chat templates would drop an unknown role silently. A tool
 * result names its function (`tool_name`) where OpenAI gives the id of the call.
 */
function toOllamaMessages(messages: readonly ChatMessage[]): Message[] | string {
  const toolNames = new Map<string, string>();
  const out: Message[] = [];
  for (const [i, m] of messages.entries()) {
    const at = `messages[${i}]`;
    const message: Message = { role: m.role === "developer" ? "system" : m.role, content: "" };
    for (const key of Object.keys(m)) {
      const value = m[key];
      if (key === "role" || value === null || value === undefined || emptyMessageField(key, value)) continue;
      if (key === "content") {
        const problem = setContent(message, value as ChatMessage["content"], at);
        if (problem !== undefined) return problem;
      } else if (key === "tool_calls" && Array.isArray(value)) {
        const calls = toOllamaToolCalls(value, toolNames, at);
        if (typeof calls === "string") return calls;
        message.tool_calls = calls;
      } else if (key === "tool_call_id" && toolNames.has(value as string)) {
        message.tool_name = toolNames.get(value as string)!;
      } else {
        return `Ollama has no equivalent of ${at}.${key}: ${short(value)}${key === "tool_call_id" ? " (no earlier assistant message called a tool with that id)" : ""}`;
      }
    }
    out.push(message);
  }
  return out;
}

/** Text parts joined by newlines; base64 data-URL images to `images`, which is all Ollama takes. */
function setContent(message: Message, content: ChatMessage["content"], at: string): string | undefined {
  if (typeof content === "string" || content === null) {
    message.content = content ?? "";
    return undefined;
  }
  const texts: string[] = [];
  const images: string[] = [];
  for (const [j, part] of content.entries()) {
    if (part.type === "text" && typeof part.text === "string") texts.push(part.text);
    else if (part.type === "image_url" && typeof part.image_url?.url === "string" && BASE64_IMAGE.test(part.image_url.url)) {
      images.push(part.image_url.url.slice(part.image_url.url.indexOf(",") + 1));
    } else if (part.type === "image_url") {
      return `Ollama takes images as base64 data only, but ${at}.content[${j}].image_url.url is ${short(part.image_url?.url)}; inline it as a data:image/…;base64, URL`;
    } else {
      return `Ollama has no equivalent of the content part type "${part.type}" (${at}.content[${j}]); it takes text and base64 images`;
    }
  }
  message.content = texts.join("\n");
  if (images.length > 0) message.images = images;
  return undefined;
}

/** OpenAI's `{id, function: {name, arguments: "<JSON text>"}}` as Ollama's `{function: {name, arguments: {…}}}`. */
function toOllamaToolCalls(calls: unknown[], toolNames: Map<string, string>, at: string): OllamaToolCall[] | string {
  const out: OllamaToolCall[] = [];
  for (const [k, raw] of calls.entries()) {
    const call = raw as { id?: unknown; function?: { name?: unknown; arguments?: unknown } } | null;
    const name = call?.function?.name;
    const args = call?.function?.arguments;
    let parsed: unknown = args;
    if (typeof args === "string") {
      try {
        parsed = JSON.parse(args);
      } catch {
        parsed = undefined;
      }
    }
    if (typeof name !== "string" || typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return `${at}.tool_calls[${k}] must have function.name and function.arguments (a JSON object) for Ollama, got ${short(call?.function)}`;
    }
    if (typeof call?.id === "string") toolNames.set(call.id, name);
    out.push({ function: { name, arguments: parsed as Record<string, unknown> } });
  }
  return out;
}

/** OpenAI's response_format → Ollama's `format`: `"json"` or a JSON Schema object. */
function formatOf(rf: ResponseFormat | undefined): string | object | undefined {
  if (rf === undefined || rf.type === "text") return undefined;
  if (rf.type === "json_object") return "json";
  return rf.json_schema.schema ?? "json";
}

/** A value in a message, clipped: a whole tool list does not belong in an error line. */
function short(value: unknown): string {
  const text = typeof value === "string" ? JSON.stringify(value) : (JSON.stringify(value) ?? String(value));
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}
