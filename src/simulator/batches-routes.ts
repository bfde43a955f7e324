/**
 * The Batches API: `POST /v1/batches`, `GET /v1/batches/{id}`, `GET /v1/batches?after=&limit=`
 * (newest first, `has_more`, `first_id`, `last_id`) and `POST /v1/batches/{id}/cancel`. The create
 * checks what OpenAI checks at once (the file, the endpoint, `completion_window`, `metadata`);
 * the lines are judged later, while the batch is `validating` (batch-validate.ts).
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { batchErrors } from "./batch-errors.js";
import type { BatchObject, BatchRecord } from "./batch-store.js";
import type { BatchEndpoint } from "./batch-validate.js";
import type { SimContext } from "./context.js";
import { resetConnection } from "./faults.js";
import { isRecord, queryOf, readJsonBody } from "./http.js";
import { randomId } from "./ids.js";
import { type OpenAIError, openaiErrors } from "./openai-errors.js";
import { admitResourceRequest, sendError, sendResource } from "./resource-http.js";

/** Every endpoint openai-node's `BatchCreateParams` allows; the simulator runs the first two. */
const ENDPOINTS = ["/v1/responses", "/v1/chat/completions", "/v1/embeddings", "/v1/completions", "/v1/moderations", "/v1/images/generations", "/v1/images/edits", "/v1/videos"];
const SERVED: readonly string[] = ["/v1/chat/completions", "/v1/embeddings"];
const METADATA_PAIRS = 16;
const METADATA_KEY_CHARS = 64;
const METADATA_VALUE_CHARS = 512;

interface CreateParams {
  inputFileId: string;
  endpoint: BatchEndpoint;
  metadata: Record<string, string> | null;
  outputTtlSeconds: number | undefined;
}

export async function handleCreateBatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!admitResourceRequest(ctx, req, res)) return;
  const body = await readJsonBody(req);
  if (body.kind === "aborted") return;
  if (body.kind !== "json") return sendError(ctx, res, openaiErrors.invalidJsonBody());
  const params = parseCreate(body.value);
  if ("status" in params) return sendError(ctx, res, params);
  const api = ctx.batch;
  const input = api.files.get(params.inputFileId);
  if (!input) return sendError(ctx, res, batchErrors.fileNotFound(params.inputFileId));
  if (input.object.purpose !== "batch") return sendError(ctx, res, batchErrors.wrongPurpose(input.object.id, input.object.purpose));

  const now = Date.now();
  const expiresMs = now + api.clock.completionWindowMs;
  const wire: BatchObject = {
    id: randomId("batch_", 32),
    object: "batch",
    endpoint: params.endpoint,
    errors: null,
    input_file_id: input.object.id,
    completion_window: "24h",
    status: "validating",
    output_file_id: null,
    error_file_id: null,
    created_at: Math.floor(now / 1000),
    in_progress_at: null,
    expires_at: Math.floor(now / 1000) + Math.ceil(api.clock.completionWindowMs / 1000),
    finalizing_at: null,
    completed_at: null,
    failed_at: null,
    expired_at: null,
    cancelling_at: null,
    cancelled_at: null,
    request_counts: { total: 0, completed: 0, failed: 0 },
    metadata: params.metadata,
    model: null,
    usage: { input_tokens: 0, input_tokens_details: { cached_tokens: 0 }, output_tokens: 0, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 0 },
  };
  const record: BatchRecord = { wire, input, createdMs: now, expiresMs, outputTtlSeconds: params.outputTtlSeconds, lines: [], next: 0, enqueuedTokens: 0, outputLines: [], errorLines: [] };
  api.store.add(record);
  api.runner.wake();
  const dropped = api.drops.drop("create");
  api.stats.created({ id: wire.id, endpoint: wire.endpoint, inputFileId: input.object.id, inputSha256: input.sha256, metadata: params.metadata && { ...params.metadata }, createdAtMs: now }, dropped);
  // The double-create trap: the batch exists, the client only sees a dropped connection.
  if (dropped) return resetConnection(res);
  sendResource(ctx, res, 200, wire);
}

export function handleRetrieveBatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  const record = ctx.batch.store.get(id);
  if (!record) return sendError(ctx, res, batchErrors.notFound(id));
  sendResource(ctx, res, 200, record.wire);
}

export function handleListBatches(ctx: SimContext, req: IncomingMessage, res: ServerResponse): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  const query = queryOf(req);
  const rawLimit = query.get("limit") ?? "20";
  const limit = Number(rawLimit);
  if (!(Number.isInteger(limit) && limit >= 1 && limit <= 100)) return sendError(ctx, res, batchErrors.badLimit(rawLimit));
  const page = ctx.batch.store.page(query.get("after") ?? undefined, limit);
  const data = page.data.map((r) => r.wire);
  sendResource(ctx, res, 200, { object: "list", data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: page.hasMore });
}

export function handleCancelBatch(ctx: SimContext, req: IncomingMessage, res: ServerResponse, id: string): void {
  if (!admitResourceRequest(ctx, req, res)) return;
  req.resume();
  const record = ctx.batch.store.get(id);
  if (!record) return sendError(ctx, res, batchErrors.notFound(id));
  ctx.batch.runner.cancel(record);
  const status = record.wire.status;
  if (status !== "cancelling" && status !== "cancelled") return sendError(ctx, res, batchErrors.cannotCancel(status));
  sendResource(ctx, res, 200, record.wire);
}

function parseCreate(body: unknown): CreateParams | OpenAIError {
  if (!isRecord(body)) return openaiErrors.invalidJsonBody();
  const inputFileId = body["input_file_id"];
  if (typeof inputFileId !== "string" || inputFileId === "") return openaiErrors.missingParameter("input_file_id");
  const endpoint = body["endpoint"];
  if (endpoint === undefined) return openaiErrors.missingParameter("endpoint");
  if (typeof endpoint !== "string" || !ENDPOINTS.includes(endpoint)) return openaiErrors.invalidValue("endpoint", endpoint, ENDPOINTS);
  if (!SERVED.includes(endpoint)) return batchErrors.unservedEndpoint(endpoint);
  const window = body["completion_window"];
  if (window === undefined) return openaiErrors.missingParameter("completion_window");
  if (window !== "24h") return openaiErrors.invalidValue("completion_window", window, ["24h"]);
  const metadata = parseMetadata(body["metadata"]);
  if (metadata !== null && "status" in metadata) return metadata as OpenAIError;
  const expiresAfter = body["output_expires_after"];
  let outputTtlSeconds: number | undefined;
  if (isRecord(expiresAfter)) {
    const seconds = expiresAfter["seconds"];
    if (typeof seconds !== "number" || !Number.isInteger(seconds)) return openaiErrors.missingParameter("output_expires_after.seconds");
    if (seconds < 3600) return openaiErrors.integerOutOfRange("output_expires_after.seconds", seconds, "min", 3600);
    if (seconds > 2_592_000) return openaiErrors.integerOutOfRange("output_expires_after.seconds", seconds, "max", 2_592_000);
    outputTtlSeconds = seconds;
  }
  return { inputFileId, endpoint: endpoint as BatchEndpoint, metadata: metadata as Record<string, string> | null, outputTtlSeconds };
}

/** At most 16 pairs, keys up to 64 characters, string values up to 512 (openai-node `Shared.Metadata`). */
function parseMetadata(value: unknown): Record<string, string> | OpenAIError | null {
  if (value === undefined || value === null) return null;
  if (!isRecord(value)) return batchErrors.metadataNotString("metadata");
  const entries = Object.entries(value);
  if (entries.length > METADATA_PAIRS) return batchErrors.metadataTooMany(entries.length);
  for (const [key, v] of entries) {
    if (key.length > METADATA_KEY_CHARS) return batchErrors.metadataTooLong("metadata", METADATA_KEY_CHARS, key.length);
    if (typeof v !== "string") return batchErrors.metadataNotString(`metadata.${key}`);
    if (v.length > METADATA_VALUE_CHARS) return batchErrors.metadataTooLong(`metadata.${key}`, METADATA_VALUE_CHARS, v.length);
  }
  return value as Record<string, string>;
}
