/**
 * Validation of `/api/chat` and `/api/generate` bodies (Ollama `api/types.go`), with
 * Ollama's 400 messages. Unknown fields and options are accepted, as the server does.
 */
import { isRecord } from "./http.js";
import type { ReplyFormat } from "./replies.js";
import { type CountableMessage, countChatTokens } from "./tokens.js";

export interface OllamaRequest {
  model: string;
  /** The server defaults to streaming; only ollama-js defaults to `false`. */
  stream: boolean;
  format: ReplyFormat;
  /** `options.num_predict` when positive; -1 and -2 mean "no cap" to Ollama. */
  numPredict: number | undefined;
  /** `/api/generate` prompt (empty for chat). */
  promptText: string;
  messageCount: number;
  /** Where directives are read from: the last user message, or the prompt. */
  lastUserText: string;
  promptTokens: number;
  /** Identifies the content for deterministic replies. */
  contentKey: string;
  /** The first function of `tools`: Ollama has no `tool_choice`, and the simulated model always calls it. */
  callTool: { name: string; parameters: Record<string, unknown> | undefined } | undefined;
  logprobs: boolean;
  topLogprobs: number;
}

function parseFormat(format: unknown): ReplyFormat | string {
  if (format === undefined || format === null || format === "") return { kind: "text" };
  if (format === "json") return { kind: "json_object" };
  if (isRecord(format)) return { kind: "json_schema", schema: format };
  return 'invalid format: expected "json" or a valid JSON schema';
}

function parseMessages(raw: unknown): CountableMessage[] | string {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return "json: cannot unmarshal messages into Go struct field ChatRequest.messages of type []api.Message";
  const messages: CountableMessage[] = [];
  for (const item of raw) {
    if (!isRecord(item) || typeof item["role"] !== "string") {
      return "json: cannot unmarshal message into Go struct field ChatRequest.messages of type api.Message";
    }
    const content = item["content"];
    if (content !== undefined && content !== null && typeof content !== "string") {
      return "json: cannot unmarshal content into Go struct field Message.messages.content of type string";
    }
    messages.push({ role: item["role"], content: content ?? "" });
  }
  return messages;
}

function firstTool(raw: unknown): OllamaRequest["callTool"] | string {
  if (raw === undefined || raw === null) return undefined;
  if (!Array.isArray(raw)) return "json: cannot unmarshal tools into Go struct field ChatRequest.tools of type api.Tools";
  for (const tool of raw) {
    const fn = isRecord(tool) ? tool["function"] : undefined;
    if (isRecord(fn) && typeof fn["name"] === "string") return { name: fn["name"], parameters: isRecord(fn["parameters"]) ? fn["parameters"] : undefined };
  }
  return undefined;
}

/** The request, or the message of a 400. */
export function parseOllamaRequest(body: Record<string, unknown>, route: "chat" | "generate"): OllamaRequest | string {
  const model = body["model"];
  if (typeof model !== "string" || model.length === 0) return "model is required";
  const format = parseFormat(body["format"]);
  if (typeof format === "string") return format;
  const callTool = route === "chat" ? firstTool(body["tools"]) : undefined;
  if (typeof callTool === "string") return callTool;
  const top = body["top_logprobs"];
  if (top !== undefined && top !== null && !(typeof top === "number" && top >= 0 && top <= 20)) return "top_logprobs must be between 0 and 20";

  const options = isRecord(body["options"]) ? body["options"] : {};
  const numPredict = options["num_predict"];
  const common = {
    model,
    stream: body["stream"] !== false,
    format,
    numPredict: typeof numPredict === "number" && numPredict > 0 ? Math.floor(numPredict) : undefined,
    callTool,
    logprobs: body["logprobs"] === true,
    topLogprobs: typeof top === "number" ? top : 0,
  };

  if (route === "chat") {
    const messages = parseMessages(body["messages"]);
    if (typeof messages === "string") return messages;
    // As on the OpenAI route: the last user message carrying a directive, else the last one.
    const users = messages.filter((m) => m.role === "user").reverse();
    const lastUser = users.find((m) => m.content.includes("[[sim:")) ?? users[0];
    return {
      ...common,
      promptText: "",
      messageCount: messages.length,
      lastUserText: lastUser?.content ?? "",
      promptTokens: countChatTokens(messages, { tools: body["tools"] }),
      contentKey: `${model}\u0000${JSON.stringify(messages)}\u0000${JSON.stringify(format)}`,
    };
  }

  const prompt = typeof body["prompt"] === "string" ? body["prompt"] : "";
  const system = typeof body["system"] === "string" ? body["system"] : "";
  const templated: CountableMessage[] = system ? [{ role: "system", content: system }] : [];
  templated.push({ role: "user", content: prompt });
  return {
    ...common,
    promptText: prompt,
    messageCount: 0,
    lastUserText: prompt,
    promptTokens: countChatTokens(templated),
    contentKey: `${model}\u0000${system}\u0000${prompt}\u0000${JSON.stringify(format)}`,
  };
}
