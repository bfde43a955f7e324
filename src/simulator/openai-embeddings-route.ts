/**
 * `POST /v1/embeddings` (OpenAI's, and Ollama's OpenAI-compatible one for local models): input as
 * a string, a list of strings, token ids or lists of them; `dimensions` where the model can shorten
 * its vectors; floats or base64 (little-endian float32); usage in `prompt_tokens`. It passes the
 * same auth, RPM and TPM buckets (charged the input tokens only), directives and faults as chat,
 * and refuses what OpenAI refuses, in its words.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { brokeTransport, decideOutcome, drawLatency, type SimContext } from "./context.js";
import { type Directives, parseDirectives } from "./directives.js";
import { base64Floats, directiveText, embeddingVector, itemTokens, type EmbedItem } from "./embeddings.js";
import { sendTruncated } from "./faults.js";
import { isRecord, sleepUnlessClosed } from "./http.js";
import type { EmbeddingFacts } from "./models.js";
import { type OpenAIError, openaiErrors } from "./openai-errors.js";
import { admit, failedByOutcome, localSlot, openaiRequest } from "./openai-routes.js";

/** OpenAI's limits per request: inputs in a list, and tokens across all of them. */
const MAX_INPUTS = 2048;
const MAX_TOKENS_PER_REQUEST = 300_000;
/** The body fields of `/v1/embeddings` (openai-node's `EmbeddingCreateParams`). */
const KNOWN_FIELDS = new Set(["model", "input", "encoding_format", "dimensions", "user"]);
const FORMATS = ["float", "base64"] as const;

interface EmbeddingsRequest {
  model: string;
  items: EmbedItem[];
  /** A list was given (`input[3]` in messages), not one text or one token array. */
  list: boolean;
  dimensions: number | undefined;
  base64: boolean;
  unknownField: string | undefined;
}

/** An embeddings request checked as far as its body goes, before any quota is charged. */
export type EmbeddingsPlan =
  | { kind: "refused"; error: OpenAIError; family: string | undefined }
  | { kind: "ok"; request: EmbeddingsRequest; model: { family: string; responseName: string; local: boolean }; facts: EmbeddingFacts; promptTokens: number; directives: Directives | undefined };

/** What the route decides from the body alone (pure), so a batch line is judged as the route judges it. */
export function planEmbeddings(ctx: SimContext, body: unknown): EmbeddingsPlan {
  const refuse = (error: OpenAIError, family?: string): EmbeddingsPlan => ({ kind: "refused", error, family });
  const request = parseEmbeddingsRequest(body);
  if ("status" in request) return refuse(request);
  const model = ctx.catalog.resolve(request.model);
  if (!model) return refuse(openaiErrors.modelNotFound(request.model));
  const family = model.family;
  // Ollama's /v1 decodes into a Go struct, which ignores fields it does not know.
  if (!model.local && request.unknownField !== undefined) return refuse(openaiErrors.unrecognizedArgument(request.unknownField), family);
  const facts = model.embedding;
  if (!facts) return refuse(openaiErrors.cannotEmbed(), family);
  const ruleError = dimensionsError(request, facts, model.local);
  if (ruleError) return refuse(ruleError, family);

  const directives = parseDirectives(directiveText(request.items));
  if (directives?.quota) return refuse(openaiErrors.insufficientQuota(), family);
  if (directives?.region) return refuse(openaiErrors.regionNotSupported(), family);
  if (directives?.badRequest) return refuse(openaiErrors.badRequest("Invalid request: rejected by the simulator as asked ([[sim:bad_request]]).", "input"), family);
  const counts = request.items.map((item) => itemTokens(request.model, item));
  const tooLong = counts.findIndex((n) => n > facts.maxInputTokens);
  // Ollama truncates an over-long input instead of refusing it.
  if (directives?.contextLength || (!model.local && tooLong !== -1)) {
    return refuse(openaiErrors.embeddingInputTooLong(request.list ? `input[${Math.max(0, tooLong)}]` : "input", facts.maxInputTokens), family);
  }
  const promptTokens = counts.reduce((a, b) => a + b, 0);
  if (!model.local && promptTokens > MAX_TOKENS_PER_REQUEST) return refuse(openaiErrors.tooManyTokensPerRequest(promptTokens, MAX_TOKENS_PER_REQUEST), family);
  return { kind: "ok", request, model, facts, promptTokens, directives };
}

/** The 200 body of an admitted embeddings request: a pure function of the seed and the request. */
export function embeddingsBody(ctx: SimContext, plan: Extract<EmbeddingsPlan, { kind: "ok" }>): Record<string, unknown> {
  const { request, model, facts, promptTokens } = plan;
  const data = request.items.map((item, index) => {
    const vector = embeddingVector(ctx.seed, model.family, item, facts.dimensions, request.dimensions);
    return { object: "embedding", index, embedding: request.base64 ? base64Floats(vector) : Array.from(vector) };
  });
  return { object: "list", data, model: model.responseName, usage: { prompt_tokens: promptTokens, total_tokens: promptTokens } };
}

export async function handleEmbeddings(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = await openaiRequest(ctx, req, res, "/v1/embeddings");
  if (started === undefined) return;
  const { out } = started;
  const plan = planEmbeddings(ctx, started.body);
  if (plan.kind === "refused") {
    out.family = plan.family;
    return out.fail(plan.error);
  }
  const { model, promptTokens, directives, request } = plan;
  out.family = model.family;
  if (directives?.rateLimit) return out.failRateLimitedByDirective();

  // An embedding writes nothing: its input is its whole charge, at admission and after.
  if (!admit(out, model.family, promptTokens)) return;
  const release = await localSlot(out, model);
  if (release === undefined) return;
  out.reserve(promptTokens, promptTokens);
  try {
    const outcome = decideOutcome(ctx, directives, directiveText(request.items));
    if (brokeTransport(ctx, res, outcome)) return;
    if (!(await sleepUnlessClosed(res, drawLatency(ctx, directives)))) return;
    if (failedByOutcome(out, outcome)) return;
    const reply = embeddingsBody(ctx, plan);
    out.settle(promptTokens);
    if (outcome === "truncated") {
      ctx.stats.fault("truncated");
      ctx.stats.status(200);
      return sendTruncated(res, out.headers(), JSON.stringify(reply), "application/json");
    }
    ctx.stats.ok(promptTokens, 0);
    out.send(200, reply);
  } finally {
    release();
    out.settle(); // hangs, resets and clients that left: charged their input
  }
}

/** The body, or OpenAI's 400 for it. */
function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest | OpenAIError {
  if (!isRecord(body)) return openaiErrors.invalidJsonBody();
  const model = body["model"];
  if (model === undefined || model === null || model === "") return openaiErrors.missingModel();
  if (typeof model !== "string") return openaiErrors.badRequest(`${JSON.stringify(model)} is not of type 'string' - 'model'`, "model");
  const input = body["input"];
  if (input === undefined || input === null) return openaiErrors.missingParameter("input");
  const items = inputItems(input);
  if (items === undefined) return openaiErrors.invalidEmbeddingInput();

  const format = body["encoding_format"] ?? "float";
  if (!(FORMATS as readonly unknown[]).includes(format)) return openaiErrors.invalidValue("encoding_format", format, FORMATS);
  const dimensions = body["dimensions"];
  if (dimensions !== undefined && dimensions !== null && !Number.isInteger(dimensions)) {
    return openaiErrors.badRequest(`${JSON.stringify(dimensions)} is not of type 'integer' - 'dimensions'`, "dimensions");
  }
  if (typeof dimensions === "number" && dimensions < 1) return openaiErrors.integerOutOfRange("dimensions", dimensions, "min", 1);
  return {
    model,
    items,
    list: Array.isArray(input) && typeof input[0] !== "number",
    dimensions: typeof dimensions === "number" ? dimensions : undefined,
    base64: format === "base64",
    unknownField: Object.keys(body).find((key) => !KNOWN_FIELDS.has(key)),
  };
}

/** What to embed, one item per vector; undefined for what OpenAI calls an invalid `$.input`. */
function inputItems(input: unknown): EmbedItem[] | undefined {
  if (typeof input === "string") return input === "" ? undefined : [input];
  if (!Array.isArray(input) || input.length === 0 || input.length > MAX_INPUTS) return undefined;
  if (input.every(isTokenId)) return [input as number[]];
  if (input.every((x) => typeof x === "string" && x !== "")) return input as string[];
  if (input.every((x) => Array.isArray(x) && x.length > 0 && x.every(isTokenId))) return input as number[][];
  return undefined;
}

function isTokenId(x: unknown): boolean {
  return Number.isSafeInteger(x) && (x as number) >= 0;
}

/** `dimensions` on OpenAI's models: ada-002 takes none, the -3 models at most their full length. */
function dimensionsError(request: EmbeddingsRequest, facts: EmbeddingFacts, local: boolean): OpenAIError | undefined {
  if (request.dimensions === undefined || local) return undefined;
  if (!facts.shortens) return openaiErrors.dimensionsNotSupported();
  if (request.dimensions > facts.dimensions) return openaiErrors.integerOutOfRange("dimensions", request.dimensions, "max", facts.dimensions);
  return undefined;
}
