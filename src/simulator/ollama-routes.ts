/**
 * Ollama's native API (its `docs/api.md`): `POST /api/chat`, `POST /api/generate` (streaming
 * by default, as the server defaults `stream` to true), `GET /api/tags`,
 * `GET /api/version`. Errors are `{"error":"…"}` with gin's JSON content type, which
 * ollama-js needs to unwrap them. No auth and no rate-limit headers, like a local server.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { type Outcome, type SimContext, brokeTransport, decideOutcome, drawLatency, wantsInvalidJson } from "./context.js";
import { type Directives, echoText, parseDirectives } from "./directives.js";
import { sendTruncated } from "./faults.js";
import { isRecord, readJsonBody, sendJson, sleepUnlessClosed } from "./http.js";
import { acquireSlot } from "./ollama-queue.js";
import { type OllamaRequest, parseOllamaRequest } from "./ollama-request.js";
import { type Reply, makeReply } from "./replies.js";
import { hashString } from "./rng.js";
import { type OllamaMetrics, type OllamaReplyExtras, encodeStream, ollamaBody } from "./ollama-bodies.js";
import { makeToolCall, tokenLogprobs } from "./tool-replies.js";

export const JSON_TYPE = "application/json; charset=utf-8";
const BUSY = "server busy, please try again.  maximum pending requests exceeded";
const RUNNER_CRASHED = "llama runner process has terminated: exit status 2";
const DIRECTIVE_RETRY_MS = 50;

export function sendError(ctx: SimContext, res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  ctx.stats.status(status);
  sendJson(res, status, { error: message }, headers, JSON_TYPE);
}

export async function handleOllamaGenerate(ctx: SimContext, req: IncomingMessage, res: ServerResponse, route: "chat" | "generate"): Promise<void> {
  const startedNs = process.hrtime.bigint();
  res.once("close", ctx.stats.begin());

  const body = await readJsonBody(req);
  if (body.kind === "aborted") return;
  if (body.kind === "empty") return sendError(ctx, res, 400, "missing request body");
  if (body.kind !== "json" || !isRecord(body.value)) return sendError(ctx, res, 400, "invalid character in request body");
  ctx.stats.receive(`/api/${route}`, body.value);
  const request = parseOllamaRequest(body.value, route);
  if (typeof request === "string") return sendError(ctx, res, 400, request);
  const model = ctx.catalog.resolve(request.model);
  if (!model) return sendError(ctx, res, 404, `model '${request.model}' not found`);

  // An empty chat or prompt only loads the model (done_reason "load").
  if (request.promptText.length === 0 && request.messageCount === 0) {
    ctx.stats.status(200);
    return sendJson(res, 200, ollamaBody(request, route, "", "load", {}), {}, JSON_TYPE);
  }
  const directives = parseDirectives(request.lastUserText);
  if (directives?.badRequest) return sendError(ctx, res, 400, "invalid request: rejected by the simulator as asked ([[sim:bad_request]])");

  // Connection-level faults happen before the scheduler: a dead socket holds no runner slot.
  const outcome = decideOutcome(ctx, directives, request.lastUserText);
  if (brokeTransport(ctx, res, outcome)) return;
  const slot = await schedulerSlot(ctx, res, model.family);
  if (slot === undefined) return;
  const grantedNs = process.hrtime.bigint();
  try {
    if (!(await sleepUnlessClosed(res, drawLatency(ctx, directives)))) return;
    if (failedByOutcome(ctx, res, outcome)) return;
    const { reply, extras } = replyFor(ctx, request, directives);
    const endNs = process.hrtime.bigint();
    const metrics = timings(startedNs, grantedNs, endNs, request.promptTokens, reply.tokens);
    const doneReason = reply.finishReason === "length" ? "length" : "stop";
    if (request.stream) {
      const lines = encodeStream(request, route, reply.text, doneReason, metrics);
      if (outcome === "truncated") {
        ctx.stats.fault("truncated");
        ctx.stats.status(200);
        return sendTruncated(res, {}, lines, "application/x-ndjson");
      }
      ctx.stats.ok(request.promptTokens, reply.tokens);
      ctx.stats.status(200);
      res.writeHead(200, { "content-type": "application/x-ndjson" });
      res.end(lines);
      return;
    }
    const full = ollamaBody(request, route, reply.text, doneReason, metrics, extras);
    if (outcome === "truncated") {
      ctx.stats.fault("truncated");
      ctx.stats.status(200);
      return sendTruncated(res, {}, JSON.stringify(full), JSON_TYPE);
    }
    ctx.stats.ok(request.promptTokens, reply.tokens);
    ctx.stats.status(200);
    sendJson(res, 200, full, {}, JSON_TYPE);
  } finally {
    slot();
  }
}

/** A runner slot of the model's scheduler queue, or undefined once a full queue's 503 is sent (or the client left). */
export async function schedulerSlot(ctx: SimContext, res: ServerResponse, family: string): Promise<(() => void) | undefined> {
  const slot = await acquireSlot(ctx.queue(family), res);
  if (slot === "closed") return undefined;
  if (slot === "full") sendError(ctx, res, 503, BUSY);
  return slot === "full" ? undefined : slot;
}

/** The faults that are ordinary answers (a crashed runner, a full queue, a 429): sent here, and true when one was. */
export function failedByOutcome(ctx: SimContext, res: ServerResponse, outcome: Outcome): boolean {
  if (outcome === "server500") {
    ctx.stats.fault("server500");
    sendError(ctx, res, 500, RUNNER_CRASHED);
    return true;
  }
  if (outcome === "overloaded503") {
    ctx.stats.fault("overloaded503");
    sendError(ctx, res, 503, BUSY);
    return true;
  }
  if (outcome === "rate_limited") {
    ctx.stats.rateLimited();
    sendError(ctx, res, 429, "too many requests", { "retry-after-ms": String(DIRECTIVE_RETRY_MS), "retry-after": "1" });
    return true;
  }
  return false;
}

/** The reply: a call of the first offered tool (Ollama's arguments are an object), else text. */
function replyFor(ctx: SimContext, request: OllamaRequest, directives: Directives | undefined): { reply: Reply; extras: OllamaReplyExtras } {
  if (request.callTool) {
    const call = makeToolCall(ctx.seed, request.contentKey, request.callTool, 0, request.numPredict);
    let args: unknown = {};
    try {
      args = JSON.parse(call.arguments);
    } catch {
      args = {}; // cut off at num_predict: Ollama's parser would find no call arguments either
    }
    const reply: Reply = { text: "", tokens: call.tokens, finishReason: call.finishReason === "length" ? "length" : "stop" };
    return { reply, extras: { toolCalls: [{ function: { name: call.name, arguments: args } }] } };
  }
  const invalidJson = request.format.kind !== "text" && wantsInvalidJson(ctx, directives, request.lastUserText);
  const reply = makeReply({
    seed: ctx.seed,
    contentKey: request.contentKey,
    format: request.format,
    maxTokens: request.numPredict,
    invalidJson,
    echo: directives?.echo ? echoText(request.lastUserText) : undefined,
  });
  // Ollama's entries are OpenAI's without `bytes`.
  const logprobs = request.logprobs
    ? tokenLogprobs(ctx.seed, reply.text, request.topLogprobs).map(({ token, logprob, top_logprobs }) => ({
        token,
        logprob,
        top_logprobs: top_logprobs.map((t) => ({ token: t.token, logprob: t.logprob })),
      }))
    : undefined;
  return { reply, extras: logprobs ? { logprobs } : {} };
}

/**
 * Ollama's metrics in nanoseconds. `load_duration` includes the wait in the scheduler
 * queue (routes.go measures it from handler start); the service time is split between
 * prompt evaluation and generation roughly as a GPU spends it (decoding is slower).
 */
function timings(startNs: bigint, grantedNs: bigint, endNs: bigint, promptTokens: number, evalTokens: number): OllamaMetrics {
  const service = Number(endNs - grantedNs);
  const promptShare = promptTokens / Math.max(1, promptTokens + 10 * evalTokens);
  const promptEval = Math.max(1, Math.round(service * promptShare));
  return {
    total_duration: Number(endNs - startNs),
    load_duration: Math.max(1, Number(grantedNs - startNs)),
    prompt_eval_count: promptTokens,
    prompt_eval_duration: promptEval,
    eval_count: evalTokens,
    eval_duration: Math.max(1, service - promptEval),
  };
}

export function handleTags(ctx: SimContext, res: ServerResponse): void {
  const models = ctx.catalog.names.map((name) => {
    const tagged = ctx.catalog.isLocal(name) ? `${name}:latest` : name;
    const family = name.replace(/[\d.:-].*$/, "") || name;
    return {
      name: tagged,
      model: tagged,
      modified_at: "2025-05-04T17:37:44.706015396-07:00",
      size: 2_019_393_189,
      digest: fakeDigest(tagged),
      details: { parent_model: "", format: "gguf", family, families: [family], parameter_size: "3.2B", quantization_level: "Q4_K_M" },
    };
  });
  sendJson(res, 200, { models }, {}, JSON_TYPE);
}

/** A stable 64-hex "digest" per name; only its shape matters to clients. */
function fakeDigest(name: string): string {
  let hex = "";
  for (let i = 0; hex.length < 64; i++) hex += hashString(`${name}#${i}`).toString(16).padStart(8, "0");
  return hex.slice(0, 64);
}

export function handleVersion(res: ServerResponse): void {
  sendJson(res, 200, { version: "0.12.6" }, {}, JSON_TYPE);
}
