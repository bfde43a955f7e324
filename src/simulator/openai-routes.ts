/**
 * OpenAI routes: `POST /v1/chat/completions` (also for local model names, as Ollama's
 * OpenAI-compatible endpoint does), `GET /v1/models`, and OpenAI-shaped 404s. Every
 * response carries `x-request-id`, `openai-*` and the six `x-ratelimit-*` headers.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Outcome, type SimContext, brokeTransport, decideOutcome, drawLatency, wantsInvalidJson } from "./context.js";
import { type CompatError, contextLengthError } from "./compat-errors.js";
import { type Directives, echoText, parseDirectives } from "./directives.js";
import { sendTruncated } from "./faults.js";
import { formatGoDuration } from "./go-duration.js";
import { readJsonBody, sendJson, sleepUnlessClosed } from "./http.js";
import { acquireSlot } from "./ollama-queue.js";
import { type OpenAIError, maskApiKey, openaiErrors } from "./openai-errors.js";
import { type ChatRequest, openaiFieldError, parseChatRequest, reasoningRefusal } from "./openai-request.js";
import { makeReply } from "./replies.js";
import { hashString } from "./rng.js";
import { countChatTokens } from "./tokens.js";
import { makeToolCall, tokenLogprobs } from "./tool-replies.js";

/** Directive-driven 429s ask for a short wait so tests that honour it stay fast. */
const DIRECTIVE_RETRY_MS = 50;
const ID_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** Random bytes drawn in bulk: one syscall per ~140 ids instead of one per id. */
let idPool = Buffer.alloc(0);
let idPoolOffset = 0;

function completionId(): string {
  if (idPoolOffset + 29 > idPool.length) {
    idPool = randomBytes(4096);
    idPoolOffset = 0;
  }
  let id = "chatcmpl-";
  for (let i = 0; i < 29; i++) id += ID_ALPHABET[(idPool[idPoolOffset++] ?? 0) % ID_ALPHABET.length];
  return id;
}

/**
 * `retry-after-ms`/`retry-after` on 429s. Public OpenAI does not document these (Azure
 * OpenAI sends them); we send them so clients that honour them can be tested.
 */
function retryHeaders(waitMs: number): Record<string, string> {
  const ms = Math.max(1, Math.ceil(waitMs));
  return { "retry-after-ms": String(ms), "retry-after": String(Math.ceil(ms / 1000)) };
}

/** One request's way of answering: the common headers and the stats, in one place. */
export class Responder {
  readonly requestId = `req_${randomUUID().replaceAll("-", "")}`;
  readonly #started = performance.now();
  /** Set once the model is known, so rate-limit headers describe that model's budget. */
  family: string | undefined;
  /** The admitted request's TPM reservation, until it is settled. */
  #reservation: { reserved: number; promptTokens: number } | undefined;

  constructor(
    readonly ctx: SimContext,
    readonly res: ServerResponse,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return {
      ...this.ctx.limiter.headers(this.family),
      "x-request-id": this.requestId,
      "openai-organization": "org-simulator",
      "openai-processing-ms": String(Math.round(performance.now() - this.#started)),
      "openai-version": "2020-10-01",
      ...extra,
    };
  }

  /** Records the tokens charged at admission (prompt + max output), to settle when answering. */
  reserve(reserved: number, promptTokens: number): void {
    this.#reservation = { reserved, promptTokens };
  }

  /**
   * Gives back the unused part of the reservation, once: `used` tokens for a completion, the
   * prompt for anything else (the same charge the client's gate assumes for a failed attempt).
   * Called before a response's headers are computed, so `x-ratelimit-remaining-tokens` already
   * shows the refund and a client that refunds too never has it taken back by `observe`.
   */
  settle(used?: number): void {
    const r = this.#reservation;
    if (!r || this.family === undefined) return;
    this.#reservation = undefined;
    this.ctx.limiter.settle(this.family, r.reserved, used ?? r.promptTokens);
  }

  send(status: number, body: unknown, extra?: Record<string, string>): void {
    this.settle();
    this.ctx.stats.status(status);
    sendJson(this.res, status, body, this.headers(extra));
  }

  fail(error: OpenAIError, extra?: Record<string, string>): void {
    if (error.status === 429 && error.body.error.code === "rate_limit_exceeded") this.ctx.stats.rateLimited();
    this.send(error.status, error.body, extra);
  }

  /** 429 with an RPM-shaped body that did not touch the buckets (directives). */
  failRateLimitedByDirective(): void {
    const headers = this.ctx.limiter.headers(this.family);
    const limit = Number(headers["x-ratelimit-limit-requests"]);
    const used = limit - Number(headers["x-ratelimit-remaining-requests"]);
    const model = this.family ?? "unknown";
    this.fail(openaiErrors.rateLimited(model, "requests", limit, used, 1, formatGoDuration(DIRECTIVE_RETRY_MS)), retryHeaders(DIRECTIVE_RETRY_MS));
  }
}

export function checkAuth(ctx: SimContext, req: IncomingMessage): OpenAIError | undefined {
  if (ctx.apiKey === undefined) return undefined;
  const header = req.headers.authorization;
  const match = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  if (!match?.[1]) return openaiErrors.missingApiKey();
  return match[1] === ctx.apiKey ? undefined : openaiErrors.invalidApiKey(maskApiKey(match[1]));
}

/** Model-specific rules the real API enforces before doing any work. */
function modelRuleError(request: ChatRequest, model: { reasoning: boolean; local: boolean }): OpenAIError | undefined {
  if (model.local) return undefined;
  // "Unrecognized request argument supplied: reasoning_effort" is what a non-reasoning model answers.
  if (!model.reasoning && request.given.has("reasoning_effort")) return openaiErrors.unrecognizedArgument("reasoning_effort");
  if (!model.reasoning) return undefined;
  if (request.usedLegacyMaxTokens) return openaiErrors.unsupportedParameter("max_tokens", "max_completion_tokens");
  if (request.temperature !== undefined && request.temperature !== 1) {
    return openaiErrors.unsupportedValue("temperature", request.temperature);
  }
  const refused = reasoningRefusal(request);
  return refused === undefined ? undefined : openaiErrors.unsupportedParameter(refused);
}

/**
 * How every request on a generation route begins: counted, authenticated, its JSON body read (and
 * kept, with `recordRequests`). Undefined when it has been answered already (or the client left).
 */
export async function openaiRequest(ctx: SimContext, req: IncomingMessage, res: ServerResponse, path: string): Promise<{ out: Responder; body: unknown } | undefined> {
  res.once("close", ctx.stats.begin());
  const out = new Responder(ctx, res);
  const error = checkAuth(ctx, req);
  const body = error ? undefined : await readJsonBody(req);
  if (body?.kind === "aborted") return undefined;
  if (body?.kind !== "json") {
    out.fail(error ?? openaiErrors.invalidJsonBody());
    return undefined;
  }
  ctx.stats.receive(path, body.value);
  return { out, body: body.value };
}

/** A chat request checked as far as the model's rules and directives go, before any quota is charged. */
export type ChatPlan =
  | { kind: "refused"; error: OpenAIError | CompatError; family: string | undefined }
  | { kind: "ok"; request: ChatRequest; model: ResolvedModel; promptTokens: number; directives: Directives | undefined };

type ResolvedModel = NonNullable<ReturnType<SimContext["catalog"]["resolve"]>>;

/**
 * Everything the chat route decides from the body alone: OpenAI's refusals in its words, the
 * refusals directives ask for, and the prompt's token count. Pure (no quota, no stats), so a batch
 * line is judged exactly as the synchronous route judges the same body.
 */
export function planChat(ctx: SimContext, body: unknown): ChatPlan {
  const refuse = (error: OpenAIError | CompatError, family?: string): ChatPlan => ({ kind: "refused", error, family });
  const parsed = parseChatRequest(body);
  if ("status" in parsed) return refuse(parsed);
  const model = ctx.catalog.resolve(parsed.model);
  if (!model) return refuse(openaiErrors.modelNotFound(parsed.model));
  const request = model.local ? asOllamaV1Reads(parsed) : parsed;
  const family = model.family;
  if (model.embedding?.only && !model.local) return refuse(openaiErrors.notAChatModel(), family);
  if (request.stream) return refuse(openaiErrors.badRequest("streaming not supported by the simulator", "stream"), family);
  // Ollama's /v1 decodes into a Go struct, which ignores fields it does not know.
  const fieldError = model.local ? undefined : openaiFieldError(request);
  if (fieldError) return refuse(fieldError, family);
  const ruleError = modelRuleError(request, model);
  if (ruleError) return refuse(ruleError, family);

  const directives = parseDirectives(request.lastUserText);
  if (directives?.quota) return refuse(openaiErrors.insufficientQuota(), family);
  if (directives?.region) return refuse(openaiErrors.regionNotSupported(), family);
  if (directives?.badRequest) {
    return refuse(openaiErrors.badRequest("Invalid request: rejected by the simulator as asked ([[sim:bad_request]]).", "messages"), family);
  }
  const promptTokens = countChatTokens(request.messages, request.promptFields);
  if (directives?.contextLength) return refuse(contextLengthError(directives.contextLength, model.contextWindow, model.contextWindow + promptTokens), family);
  // Ollama truncates an over-long prompt instead of refusing it (Ollama's `server/routes.go`).
  if (!model.local && promptTokens > model.contextWindow) return refuse(openaiErrors.contextLength(model.contextWindow, promptTokens), family);
  return { kind: "ok", request, model, promptTokens, directives };
}

export async function handleChatCompletions(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = await openaiRequest(ctx, req, res, "/v1/chat/completions");
  if (started === undefined) return;
  const { out } = started;
  const plan = planChat(ctx, started.body);
  if (plan.kind === "refused") {
    out.family = plan.family;
    return out.send(plan.error.status, plan.error.body);
  }
  const { request, model, promptTokens, directives } = plan;
  out.family = model.family;
  if (directives?.rateLimit) return out.failRateLimitedByDirective();

  const tokenCost = promptTokens + (request.maxTokens ?? ctx.defaultMaxOutput) * request.n;
  if (!admit(out, model.family, tokenCost)) return;
  const release = await localSlot(out, model);
  if (release === undefined) return;
  out.reserve(tokenCost, promptTokens);
  try {
    await answer(ctx, out, plan);
  } finally {
    release();
    out.settle(); // hangs, resets and clients that left: charged their prompt
  }
}

/**
 * What Ollama's /v1 makes of a request: its request struct has `max_tokens` but no
 * `max_completion_tokens` (so that cap is not read at all), and no `n` or `logprobs` (one choice,
 * without log probabilities). Unknown fields are dropped by its JSON decoding, never refused.
 */
function asOllamaV1Reads(request: ChatRequest): ChatRequest {
  return { ...request, maxTokens: request.legacyMaxTokens, n: 1, logprobs: false, topLogprobs: 0 };
}

/** Charges a request to its model's buckets; when they refuse, sends OpenAI's 429 and says false. */
export function admit(out: Responder, family: string, tokenCost: number): boolean {
  const admission = out.ctx.limiter.admit(family, tokenCost);
  if (admission.admitted) return true;
  if (admission.reason === "too_large") {
    out.fail(openaiErrors.requestTooLarge(family, admission.limit, admission.requested));
    return false;
  }
  const { reason, limit, used, requested, waitMs } = admission;
  const retryIn = formatGoDuration(Math.max(1, Math.ceil(waitMs)));
  out.fail(openaiErrors.rateLimited(family, reason, limit, used, requested, retryIn), retryHeaders(waitMs));
  return false;
}

/**
 * Local models queue like Ollama's /v1 endpoint does; a full queue is its 503 (sent here). The
 * function that frees the slot (a no-op for OpenAI models), or undefined when there is none.
 */
export async function localSlot(out: Responder, model: { local: boolean; family: string }): Promise<(() => void) | undefined> {
  if (!model.local) return () => {};
  const slot = await acquireSlot(out.ctx.queue(model.family), out.res);
  if (slot === "closed") return undefined;
  if (slot === "full") {
    out.send(503, { error: { message: "server busy, please try again.  maximum pending requests exceeded", type: "api_error", param: null, code: null } });
    return undefined;
  }
  return slot;
}

/**
 * The faults of an admitted attempt that are ordinary answers (500, 503, a directive's 429): sent
 * here, after the latency, and true when one was. Hangs and resets are the caller's (they come first).
 */
export function failedByOutcome(out: Responder, outcome: Outcome): boolean {
  const { ctx } = out;
  if (outcome === "server500") {
    ctx.stats.fault("server500");
    out.fail(openaiErrors.serverError());
    return true;
  }
  if (outcome === "overloaded503") {
    ctx.stats.fault("overloaded503");
    out.fail(openaiErrors.overloaded(out.requestId));
    return true;
  }
  if (outcome === "rate_limited") {
    out.failRateLimitedByDirective();
    return true;
  }
  return false;
}

async function answer(ctx: SimContext, out: Responder, plan: Extract<ChatPlan, { kind: "ok" }>): Promise<void> {
  const { res } = out;
  const { request, directives } = plan;
  const outcome = decideOutcome(ctx, directives, request.lastUserText);
  if (brokeTransport(ctx, res, outcome)) return;
  if (!(await sleepUnlessClosed(res, drawLatency(ctx, directives)))) return;
  if (failedByOutcome(out, outcome)) return;

  const invalidJson = request.format.kind !== "text" && wantsInvalidJson(ctx, directives, request.lastUserText);
  const { body, completionTokens } = chatCompletionBody(ctx, plan, invalidJson);
  const { promptTokens } = plan;
  if (outcome === "truncated") {
    ctx.stats.fault("truncated");
    ctx.stats.status(200);
    out.settle(promptTokens + completionTokens);
    return sendTruncated(res, out.headers(), JSON.stringify(body), "application/json");
  }
  ctx.stats.ok(promptTokens, completionTokens);
  out.settle(promptTokens + completionTokens);
  out.send(200, body);
}

/** The 200 body of an admitted chat request: a pure function of the seed and the request (ids and `created` aside). */
export function chatCompletionBody(ctx: SimContext, plan: Extract<ChatPlan, { kind: "ok" }>, invalidJson: boolean): { body: Record<string, unknown>; completionTokens: number } {
  const { request, promptTokens, directives } = plan;
  const responseModel = plan.model.responseName;
  const local = plan.model.local;
  const contentKey = `${responseModel}\u0000${JSON.stringify(request.messages)}\u0000${JSON.stringify(request.format)}`;
  let completionTokens = 0;
  const choices = [];
  for (let index = 0; index < request.n; index++) {
    // The legacy `functions`: the same call, as `function_call` with its own finish reason.
    if (request.callFunction && !request.callTool && !directives?.contentFilter) {
      const call = makeToolCall(ctx.seed, contentKey, request.callFunction, index, request.maxTokens);
      completionTokens += call.tokens;
      choices.push({
        index,
        message: { role: "assistant", content: null, function_call: { name: call.name, arguments: call.arguments }, refusal: null, annotations: [] },
        logprobs: request.logprobs ? { content: null, refusal: null } : null,
        finish_reason: call.finishReason === "tool_calls" ? "function_call" : call.finishReason,
      });
      continue;
    }
    if (request.callTool && !directives?.contentFilter) {
      const call = makeToolCall(ctx.seed, contentKey, request.callTool, index, request.maxTokens);
      completionTokens += call.tokens;
      const toolCall = { id: toolCallId(contentKey, index), type: "function", function: { name: call.name, arguments: call.arguments } };
      choices.push({
        index,
        message: { role: "assistant", content: null, tool_calls: [toolCall], refusal: null, annotations: [] },
        logprobs: request.logprobs ? { content: null, refusal: null } : null,
        finish_reason: call.finishReason,
      });
      continue;
    }
    const reply = directives?.contentFilter
      ? { text: "", tokens: 0, finishReason: "content_filter" }
      : makeReply({
          seed: ctx.seed,
          contentKey,
          format: request.format,
          maxTokens: request.maxTokens,
          choiceIndex: index,
          invalidJson,
          echo: directives?.echo ? echoText(request.lastUserText) : undefined,
        });
    completionTokens += reply.tokens;
    choices.push({
      index,
      message: { role: "assistant", content: reply.text, refusal: null, annotations: [] },
      logprobs: request.logprobs ? { content: tokenLogprobs(ctx.seed + index, reply.text, request.topLogprobs), refusal: null } : null,
      finish_reason: reply.finishReason,
    });
  }
  const body = {
    id: completionId(),
    object: "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model: responseModel,
    choices,
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0, audio_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0, audio_tokens: 0, accepted_prediction_tokens: 0, rejected_prediction_tokens: 0 },
    },
    service_tier: request.serviceTier,
    system_fingerprint: local ? "fp_ollama" : `fp_${hashString(responseModel, ctx.seed).toString(16).padStart(8, "0")}`,
  };
  return { body, completionTokens };
}

/** `call_` + 24 characters, stable per request content and choice, like OpenAI's tool call ids. */
function toolCallId(contentKey: string, index: number): string {
  let id = "call_";
  for (let i = 0; id.length < 29; i++) id += hashString(`${contentKey}#${index}#${i}`).toString(36).padStart(7, "0").slice(0, 6);
  return id.slice(0, 29);
}

export function handleListModels(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const out = new Responder(ctx, res);
  const authError = checkAuth(ctx, req);
  if (authError) return sendJson(res, authError.status, authError.body, out.headers());
  const data = ctx.catalog.names.map((id) => ({
    id,
    object: "model",
    // A fixed date: the list is static, and stable output is easier to snapshot.
    created: 1_715_367_049,
    owned_by: ctx.catalog.isLocal(id) ? "library" : "system",
  }));
  sendJson(res, 200, { object: "list", data }, out.headers());
}

export function handleOpenAINotFound(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  const out = new Responder(ctx, res);
  const error = checkAuth(ctx, req) ?? openaiErrors.invalidUrl(req.method ?? "GET", (req.url ?? "/").split("?")[0] ?? "/");
  sendJson(res, error.status, error.body, out.headers());
  req.resume();
}
