/**
 * How the Files and Batches routes answer: OpenAI's headers (`x-request-id`, `openai-*`), the same
 * auth as the generation routes, and the batch clock brought up to date before anything is read.
 * These routes are not generation routes: they do not count in the synchronous stats.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { SimContext } from "./context.js";
import { sendJson } from "./http.js";
import { type OpenAIError, openaiErrors } from "./openai-errors.js";
import { Responder, checkAuth } from "./openai-routes.js";

export function sendResource(ctx: SimContext, res: ServerResponse, status: number, body: unknown): void {
  sendJson(res, status, body, new Responder(ctx, res).headers());
}

export function sendError(ctx: SimContext, res: ServerResponse, error: OpenAIError): void {
  sendResource(ctx, res, error.status, error.body);
}

/**
 * False (and answered, the body drained) when the key is wrong, or when the Batch API is turned off
 * (then these paths are OpenAI's 404 for an unknown URL, as on a server without them); else the
 * batch clock is brought up to date and the request goes on.
 */
export function admitResourceRequest(ctx: SimContext, req: IncomingMessage, res: ServerResponse): boolean {
  const error = checkAuth(ctx, req) ?? (ctx.batch.enabled ? undefined : openaiErrors.invalidUrl(req.method ?? "GET", (req.url ?? "/").split("?")[0] ?? "/"));
  if (error) {
    req.resume();
    sendError(ctx, res, error);
    return false;
  }
  ctx.batch.runner.advance();
  return true;
}
