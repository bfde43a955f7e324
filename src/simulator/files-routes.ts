/**
 * The Files API: `POST /v1/files` (multipart: `file`, `purpose`, optional `expires_after[…]`),
 * `GET /v1/files` (newest first, `purpose`/`order`/`limit`/`after`), `GET /v1/files/{id}`,
 * `GET /v1/files/{id}/content` (the raw bytes: JSONL for batch files) and `DELETE /v1/files/{id}`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileErrors } from "./batch-errors.js";
import type { SimContext } from "./context.js";
import { resetConnection } from "./faults.js";
import { queryOf, readRawBody } from "./http.js";
import { parseMultipart } from "./multipart.js";
import { admitResourceRequest, sendError, sendResource } from "./resource-http.js";
import { Responder } from "./openai-routes.js";

/** The purposes `POST /v1/files` accepts (openai-node's `FilePurpose`). */
const PURPOSES = ["assistants", "batch", "fine-tune", "vision", "user_data", "evals"] as const;
/** Multipart framing around the file: boundaries and part headers. */
const FRAMING_BYTES = 64 * 1024;

export async function handleUploadFile(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!admitResourceRequest(ctx, req, res)) return;
  const api = ctx.batch;
  const contentType = req.headers["content-type"] ?? "";
  if (!/^multipart\/form-data/i.test(contentType)) {
    req.resume();
    return sendError(ctx, res, fileErrors.notMultipart(contentType));
  }
  const raw = await readRawBody(req, api.maxUploadBytes + FRAMING_BYTES);
  if (raw.kind === "aborted") return;
  if (raw.kind === "too_large") return sendError(ctx, res, fileErrors.tooLarge(api.maxUploadBytes));
  const form = await parseMultipart(contentType, raw.value);
  if (form.kind === "invalid") return sendError(ctx, res, fileErrors.unparsable());
  const file = form.files.get("file");
  if (!file) return sendError(ctx, res, fileErrors.missing("file"));
  const purpose = form.fields.get("purpose");
  if (purpose === undefined) return sendError(ctx, res, fileErrors.missing("purpose"));
  if (!(PURPOSES as readonly string[]).includes(purpose)) return sendError(ctx, res, fileErrors.badPurpose(purpose, PURPOSES));
  if (purpose === "batch" && !file.filename.toLowerCase().endsWith(".jsonl")) return sendError(ctx, res, fileErrors.notJsonl());
  if (file.content.length > api.maxUploadBytes) return sendError(ctx, res, fileErrors.tooLarge(api.maxUploadBytes));
  const seconds = Number(form.fields.get("expires_after[seconds]"));
  const stored = api.files.add(file.filename, purpose, file.content, Number.isInteger(seconds) && seconds > 0 ? seconds : undefined);
  const dropped = api.drops.drop("upload");
  api.stats.uploaded(dropped);
  if (dropped) return resetConnection(res);
  sendResource(ctx, res, 200, stored.object);
}

export function handleListFiles(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  const query = queryOf(req);
  const purpose = query.get("purpose");
  let files = ctx.batch.files.all().map((f) => f.object);
  if (purpose) files = files.filter((f) => f.purpose === purpose);
  if (query.get("order") !== "asc") files.reverse();
  const after = query.get("after");
  if (after) files = files.slice(files.findIndex((f) => f.id === after) + 1 || files.length);
  const limit = Math.min(10_000, Math.max(1, Number(query.get("limit") ?? 10_000) || 10_000));
  const data = files.slice(0, limit);
  sendResource(ctx, res, 200, { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: files.length > limit });
}

export function handleRetrieveFile(ctx: SimContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  const file = ctx.batch.files.get(id);
  if (!file) return sendError(ctx, res, fileErrors.notFound(id));
  sendResource(ctx, res, 200, file.object);
}

export function handleFileContent(ctx: SimContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  const file = ctx.batch.files.get(id);
  if (!file) return sendError(ctx, res, fileErrors.notFound(id));
  if (res.headersSent || res.destroyed) return;
  res.writeHead(200, { ...new Responder(ctx, res).headers(), "content-type": "application/octet-stream", "content-length": file.content.length });
  res.end(file.content);
}

export function handleDeleteFile(ctx: SimContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  if (!ctx.batch.files.delete(id)) return sendError(ctx, res, fileErrors.notFound(id));
  sendResource(ctx, res, 200, { id, object: "file", deleted: true });
}
