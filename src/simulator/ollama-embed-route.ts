/**
 * Ollama's `POST /api/embed` (server/routes.go `EmbedHandler`): `input` a string or a list of
 * strings, unit-length float vectors, shortened by `dimensions` when that is smaller, and an input
 * longer than the model's context truncated unless `truncate: false` (then a 400). An empty text
 * embeds nothing: the answer is `{"model", "embeddings": []}`, as a model load. It queues in the
 * model's scheduler like `/api/chat`, with the same directives and faults.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { brokeTransport, decideOutcome, drawLatency, type SimContext } from "./context.js";
import { parseDirectives } from "./directives.js";
import { directiveText, embeddingVector, itemTokens } from "./embeddings.js";
import { sendTruncated } from "./faults.js";
import { isRecord, readJsonBody, sendJson, sleepUnlessClosed } from "./http.js";
import { failedByOutcome, JSON_TYPE, schedulerSlot, sendError } from "./ollama-routes.js";

export async function handleOllamaEmbed(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const startedNs = process.hrtime.bigint();
  res.once("close", ctx.stats.begin());
  const body = await readJsonBody(req);
  if (body.kind === "aborted") return;
  if (body.kind === "empty") return sendError(ctx, res, 400, "missing request body");
  if (body.kind !== "json" || !isRecord(body.value)) return sendError(ctx, res, 400, "invalid character in request body");
  ctx.stats.receive("/api/embed", body.value);
  const request = body.value;
  const name = request["model"];
  if (typeof name !== "string" || name === "") return sendError(ctx, res, 400, "model is required");
  const input = textsOf(request["input"]);
  if (input === undefined) return sendError(ctx, res, 400, "invalid input type");
  const model = ctx.catalog.resolve(name);
  if (!model?.embedding) return sendError(ctx, res, 404, `model '${name}' not found`);
  const facts = model.embedding;

  const directives = parseDirectives(directiveText(input));
  if (directives?.badRequest) return sendError(ctx, res, 400, "invalid request: rejected by the simulator as asked ([[sim:bad_request]])");
  const counts = input.map((text) => itemTokens(name, text));
  if (request["truncate"] === false && counts.some((n) => n > facts.maxInputTokens)) return sendError(ctx, res, 400, "the input length exceeds the context length");
  const outcome = decideOutcome(ctx, directives, directiveText(input));
  if (brokeTransport(ctx, res, outcome)) return;
  const slot = await schedulerSlot(ctx, res, model.family);
  if (slot === undefined) return;
  const grantedNs = process.hrtime.bigint();
  try {
    if (!(await sleepUnlessClosed(res, drawLatency(ctx, directives)))) return;
    if (failedByOutcome(ctx, res, outcome)) return;
    if (input.length === 0) {
      ctx.stats.status(200);
      return sendJson(res, 200, { model: name, embeddings: [] }, {}, JSON_TYPE);
    }
    // Truncated inputs are charged what the model read of them.
    const promptTokens = counts.reduce((sum, n) => sum + Math.min(n, facts.maxInputTokens), 0);
    const dimensions = typeof request["dimensions"] === "number" && request["dimensions"] > 0 ? request["dimensions"] : undefined;
    const embeddings = input.map((text) => Array.from(embeddingVector(ctx.seed, model.family, text, facts.dimensions, dimensions)));
    const endNs = process.hrtime.bigint();
    const reply = {
      model: name,
      embeddings,
      total_duration: Number(endNs - startedNs),
      load_duration: Math.max(1, Number(grantedNs - startedNs)),
      prompt_eval_count: promptTokens,
    };
    ctx.stats.status(200);
    if (outcome === "truncated") {
      ctx.stats.fault("truncated");
      return sendTruncated(res, {}, JSON.stringify(reply), JSON_TYPE);
    }
    ctx.stats.ok(promptTokens, 0);
    sendJson(res, 200, reply, {}, JSON_TYPE);
  } finally {
    slot();
  }
}

/** The texts to embed: an empty string is none, as Ollama has it; undefined for a type it refuses. */
function textsOf(input: unknown): string[] | undefined {
  if (input === undefined || input === null) return [];
  if (typeof input === "string") return input === "" ? [] : [input];
  if (Array.isArray(input) && input.every((x) => typeof x === "string")) return input as string[];
  return undefined;
}
