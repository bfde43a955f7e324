/** Response bodies of `/api/chat` and `/api/generate`, whole or as NDJSON (Ollama's `docs/api.md`). */
import type { OllamaRequest } from "./ollama-request.js";

export interface OllamaMetrics {
  total_duration: number;
  load_duration: number;
  prompt_eval_count: number;
  prompt_eval_duration: number;
  eval_count: number;
  eval_duration: number;
}

/** Wall clock in ns, advancing with the monotonic clock so timestamps never go backwards. */
const EPOCH_OFFSET_NS = BigInt(Date.now()) * 1_000_000n - process.hrtime.bigint();

/** RFC 3339 with nanoseconds, like Go's `time.Time` JSON encoding. */
export function rfc3339Nano(): string {
  const ns = EPOCH_OFFSET_NS + process.hrtime.bigint();
  const seconds = new Date(Number(ns / 1_000_000n)).toISOString().slice(0, 19); // 2024-12-06T00:46:58
  return `${seconds}.${String(ns % 1_000_000_000n).padStart(9, "0")}Z`;
}

function part(route: "chat" | "generate", text: string, toolCalls?: unknown[]): Record<string, unknown> {
  if (route === "generate") return { response: text };
  return { message: toolCalls ? { role: "assistant", content: text, tool_calls: toolCalls } : { role: "assistant", content: text } };
}

/** What a chat reply carries besides text: `message.tool_calls`, and `logprobs` when asked for. */
export interface OllamaReplyExtras {
  toolCalls?: unknown[];
  logprobs?: unknown[];
}

/** The non-streaming body; metrics are omitted when absent, as Go's `omitempty` does. */
export function ollamaBody(
  request: OllamaRequest,
  route: "chat" | "generate",
  text: string,
  doneReason: string,
  metrics: Partial<OllamaMetrics>,
  extras: OllamaReplyExtras = {},
): Record<string, unknown> {
  return {
    model: request.model,
    created_at: rfc3339Nano(),
    ...part(route, text, extras.toolCalls),
    ...(extras.logprobs ? { logprobs: extras.logprobs } : {}),
    done: true,
    done_reason: doneReason,
    ...(route === "generate" ? { context: [] } : {}),
    ...metrics,
  };
}

/** Splits a reply into a few word-aligned chunks, as a token stream would arrive. */
function chunks(text: string): string[] {
  const words = text.split(/(?=\s)/);
  const size = Math.max(1, Math.ceil(words.length / 6));
  const out: string[] = [];
  for (let i = 0; i < words.length; i += size) out.push(words.slice(i, i + size).join(""));
  return out;
}

/** NDJSON: `done:false` lines with partial content, then the final line with the metrics. */
export function encodeStream(request: OllamaRequest, route: "chat" | "generate", text: string, doneReason: string, metrics: OllamaMetrics): string {
  let lines = "";
  for (const piece of chunks(text)) {
    lines += `${JSON.stringify({ model: request.model, created_at: rfc3339Nano(), ...part(route, piece), done: false })}\n`;
  }
  lines += `${JSON.stringify(ollamaBody(request, route, "", doneReason, metrics))}\n`;
  return lines;
}
