/**
 * OpenAI's Files and Batches API through the official client, as the batch backend's `BatchApi`
 * (https://platform.openai.com/docs/guides/batch). `create` runs with the client's retries off: a
 * retried create can make a second batch, so a failed one is reconciled through `list` instead.
 */
import type OpenAI from "openai";
import { APIError, toFile } from "openai";
import type { Batch } from "openai/resources/batches";
import type { BatchApi, BatchInfo, BatchOutputLine, BatchStatus } from "../../batch/batch-api.js";
import type { ProviderError } from "../../errors.js";
import { classifyOpenAIError } from "./classify-openai.js";

/** Retries of the idempotent calls (upload, retrieve, list, content); the backend backs off on top. */
const READ_RETRIES = 2;

export class OpenAIBatchApi implements BatchApi {
  readonly #client: OpenAI;
  readonly #secret: string | undefined;

  constructor(client: OpenAI, secret: string | undefined) {
    this.#client = client;
    this.#secret = secret;
  }

  async upload(name: string, content: Uint8Array, signal?: AbortSignal): Promise<string> {
    // An upload that is retried can leave an unused file behind, never a second batch.
    const file = await this.#client.files.create({ file: await toFile(content, name, { type: "application/jsonl" }), purpose: "batch" }, { signal, maxRetries: READ_RETRIES });
    return file.id;
  }

  async create(params: { inputFileId: string; endpoint: string; metadata: Record<string, string> }, signal?: AbortSignal): Promise<BatchInfo> {
    const batch = await this.#client.batches.create(
      { input_file_id: params.inputFileId, endpoint: params.endpoint as "/v1/chat/completions", completion_window: "24h", metadata: params.metadata },
      { signal, maxRetries: 0 },
    );
    return info(batch);
  }

  async retrieve(id: string, signal?: AbortSignal): Promise<BatchInfo> {
    return info(await this.#client.batches.retrieve(id, { signal, maxRetries: READ_RETRIES }));
  }

  async *list(until: number, signal?: AbortSignal): AsyncIterable<BatchInfo> {
    for await (const batch of this.#client.batches.list({ limit: 100 }, { signal, maxRetries: READ_RETRIES })) {
      if (batch.created_at < until) return;
      yield info(batch);
    }
  }

  async cancel(id: string, signal?: AbortSignal): Promise<BatchInfo> {
    return info(await this.#client.batches.cancel(id, { signal, maxRetries: READ_RETRIES }));
  }

  async *lines(fileId: string, signal?: AbortSignal): AsyncIterable<BatchOutputLine> {
    const response = await this.#client.files.content(fileId, { signal, maxRetries: READ_RETRIES });
    const text = await response.text();
    let n = 0;
    for (const raw of text.split("\n")) {
      n++;
      if (raw.trim() === "") continue;
      yield outputLine(raw, fileId, n);
    }
  }

  async probe(signal?: AbortSignal): Promise<string | undefined> {
    try {
      await this.#client.batches.list({ limit: 1 }, { signal, maxRetries: READ_RETRIES });
    } catch (err) {
      if (err instanceof APIError && (err.status === 404 || err.status === 405 || err.status === 501)) {
        return `the server answers ${err.status} on ${this.#client.baseURL}/batches: it offers no Batch API (OpenAI and compatible servers with /v1/files and /v1/batches do)`;
      }
      throw this.classify(err);
    }
    return undefined;
  }

  classify(err: unknown): ProviderError {
    return classifyOpenAIError(err, { timeoutMs: Number.POSITIVE_INFINITY, secret: this.#secret });
  }
}

function info(b: Batch): BatchInfo {
  const errors = (b.errors?.data ?? []).map((e) => ({ code: e.code ?? "unknown", message: e.message ?? "", line: e.line ?? undefined }));
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(b.metadata ?? {})) if (typeof v === "string") metadata[k] = v;
  return {
    id: b.id,
    status: String(b.status).toLowerCase() as BatchStatus,
    endpoint: b.endpoint,
    inputFileId: b.input_file_id,
    outputFileId: b.output_file_id ?? undefined,
    errorFileId: b.error_file_id ?? undefined,
    counts: { total: b.request_counts?.total ?? 0, completed: b.request_counts?.completed ?? 0, failed: b.request_counts?.failed ?? 0 },
    errors,
    metadata,
    createdAt: b.created_at,
  };
}

/** One `BatchRequestOutput` line; a line that is not one is an error naming the file and line. */
function outputLine(raw: string, fileId: string, n: number): BatchOutputLine {
  let v: { id?: unknown; custom_id?: unknown; response?: { status_code?: unknown; request_id?: unknown; body?: unknown } | null; error?: { code?: unknown; message?: unknown } | null };
  try {
    v = JSON.parse(raw);
  } catch {
    throw new Error(`${fileId} line ${n}: not JSON`);
  }
  if (typeof v?.custom_id !== "string") throw new Error(`${fileId} line ${n}: no custom_id`);
  const out: BatchOutputLine = { custom_id: v.custom_id, id: typeof v.id === "string" ? v.id : "" };
  const r = v.response;
  if (r && typeof r.status_code === "number") out.response = { status: r.status_code, body: r.body, requestId: typeof r.request_id === "string" ? r.request_id : undefined };
  const e = v.error;
  if (e && (typeof e.code === "string" || typeof e.message === "string")) out.error = { code: String(e.code ?? "unknown"), message: String(e.message ?? "") };
  return out;
}

/** The HTTP error inside a batch line, as the client would have raised it for the same answer. */
export function lineError(status: number, body: unknown): APIError {
  const whole = typeof body === "object" && body !== null ? body : { error: { message: String(body) } };
  return APIError.generate(status, whole, undefined, new Headers());
}
