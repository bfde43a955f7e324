/**
 * What a batch does while `validating`: reads its input file line by line and either accepts it
 * (its requests, its model, its prompt tokens) or fails it with OpenAI's `errors` entries, every
 * problem with its line. Request bodies are not judged here: a body the endpoint would refuse
 * becomes that line's HTTP error in the error file, as on OpenAI.
 */
import { type BatchError, validationErrors as v } from "./batch-errors.js";
import type { SimContext } from "./context.js";
import { isRecord } from "./http.js";
import { planEmbeddings } from "./openai-embeddings-route.js";
import { planChat } from "./openai-routes.js";

export type BatchEndpoint = "/v1/chat/completions" | "/v1/embeddings";

export interface InputLine {
  customId: string;
  body: Record<string, unknown>;
}

export type Validation = { ok: true; lines: InputLine[]; model: string; promptTokens: number } | { ok: false; errors: BatchError[]; model: string | undefined };

export interface ValidationLimits {
  maxRequests: number;
  maxInputBytes: number;
  /** OpenAI's cap on embedding inputs across an embeddings batch. */
  maxEmbeddingInputs: number;
}

/** A file with thousands of bad lines reports this many (OpenAI's list is not unbounded either). */
const MAX_REPORTED = 100;

/**
 * `countTokens`: whether the prompt tokens are needed (an enqueued-token limit applies to the model);
 * counting 50,000 prompts at once holds the event loop, so it is skipped when nothing reads it.
 */
export function validateBatchInput(ctx: SimContext, content: Buffer, endpoint: BatchEndpoint, limits: ValidationLimits, countTokens: (model: string) => boolean): Validation {
  const text = content.toString("utf8");
  const texts = text.trim() === "" ? [] : text.split("\n");
  if (texts.at(-1) === "") texts.pop();
  const errors: BatchError[] = [];
  const lines: InputLine[] = [];
  const seen = new Set<string>();
  let model: string | undefined;
  for (let i = 0; i < texts.length && errors.length < MAX_REPORTED; i++) {
    const at = i + 1;
    const parsed = parseLine((texts[i] ?? "").replace(/\r$/, ""), endpoint, at);
    if ("code" in parsed) {
      errors.push(parsed);
      continue;
    }
    const lineModel = parsed.body["model"] as string;
    model ??= lineModel;
    if (seen.has(parsed.customId)) errors.push(v.duplicateCustomId(parsed.customId, at));
    else if (lineModel !== model) errors.push(v.mismatchedModel(lineModel, at));
    seen.add(parsed.customId);
    lines.push(parsed);
  }
  if (texts.length === 0) errors.push(v.emptyFile());
  if (texts.length > limits.maxRequests) errors.push(v.tooManyRequests(texts.length, limits.maxRequests));
  if (content.length > limits.maxInputBytes) errors.push(v.fileTooLarge(limits.maxInputBytes, model ?? "requested"));
  if (errors.length > 0 || model === undefined) return { ok: false, errors, model };

  const embeddings = endpoint === "/v1/embeddings";
  if (!embeddings && !countTokens(model)) return { ok: true, lines, model, promptTokens: 0 };
  let promptTokens = 0;
  let inputs = 0;
  for (const line of lines) {
    const plan = embeddings ? planEmbeddings(ctx, line.body) : planChat(ctx, line.body);
    if (plan.kind === "ok") promptTokens += plan.promptTokens;
    inputs += plan.kind === "ok" && "facts" in plan ? plan.request.items.length : 1;
  }
  if (embeddings && inputs > limits.maxEmbeddingInputs) return { ok: false, errors: [v.tooManyInputs(inputs, limits.maxEmbeddingInputs)], model };
  return { ok: true, lines, model, promptTokens };
}

function parseLine(text: string, endpoint: BatchEndpoint, at: number): InputLine | BatchError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return v.invalidJson(at);
  }
  if (!isRecord(value)) return v.invalidJson(at);
  const customId = value["custom_id"];
  if (typeof customId !== "string" || customId === "") return v.missing("custom_id", at);
  if (value["method"] === undefined) return v.missing("method", at);
  if (value["method"] !== "POST") return v.badMethod(value["method"], at);
  if (value["url"] === undefined) return v.missing("url", at);
  if (value["url"] !== endpoint) return v.mismatchedUrl(value["url"], endpoint, at);
  const body = value["body"];
  if (!isRecord(body)) return v.missing("body", at);
  if (typeof body["model"] !== "string" || body["model"] === "") return v.missing("body.model", at);
  return { customId, body };
}
