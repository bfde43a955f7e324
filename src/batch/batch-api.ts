/**
 * What the batch backend needs of a provider's Batch API, in its own words: a provider kind that
 * offers batches implements this (providers/openai/openai-batch-api.ts does, through the official
 * client). The backend never sees a wire format beyond the JSONL lines it is given to upload.
 */
import type { ProviderError } from "../errors.js";

/** The states a provider batch goes through (OpenAI's `Batch.status`). */
export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

export const TERMINAL: ReadonlySet<BatchStatus> = new Set(["failed", "completed", "expired", "cancelled"]);

/** A provider batch as the backend reads it. */
export interface BatchInfo {
  id: string;
  status: BatchStatus;
  endpoint: string;
  inputFileId: string;
  outputFileId?: string | undefined;
  errorFileId?: string | undefined;
  counts: { total: number; completed: number; failed: number };
  /** Validation errors of a `failed` batch: code, message, the 1-based line when one is to blame. */
  errors: { code: string; message: string; line?: number | undefined }[];
  metadata: Record<string, string>;
  /** Unix seconds. */
  createdAt: number;
}

/** One request of a batch input file. */
export interface BatchInputLine {
  custom_id: string;
  url: string;
  body: object;
}

/** One line of an output or error file, read by `custom_id`. */
export interface BatchOutputLine {
  custom_id: string;
  /** The provider's id of the line (`batch_req_…`). */
  id: string;
  /** Set when the request got an HTTP answer (2xx in the output file, 4xx/5xx in the error file). */
  response?: { status: number; body: unknown; requestId?: string | undefined } | undefined;
  /** Set when it did not (`batch_expired`, `batch_cancelled`). */
  error?: { code: string; message: string } | undefined;
}

export interface BatchApi {
  /** Uploads a batch input file (JSONL bytes); returns its file id. */
  upload(name: string, content: Uint8Array, signal?: AbortSignal): Promise<string>;
  /** Creates a batch. Never retried inside: a retried create can make a second batch. */
  create(params: { inputFileId: string; endpoint: string; metadata: Record<string, string> }, signal?: AbortSignal): Promise<BatchInfo>;
  retrieve(id: string, signal?: AbortSignal): Promise<BatchInfo>;
  /** Batches newest first, stopping once `until` (created before, Unix seconds) is passed. */
  list(until: number, signal?: AbortSignal): AsyncIterable<BatchInfo>;
  cancel(id: string, signal?: AbortSignal): Promise<BatchInfo>;
  /** The lines of an output or error file. */
  lines(fileId: string, signal?: AbortSignal): AsyncIterable<BatchOutputLine>;
  /** Whether the server offers the Files and Batches API at all (a 404 on /files or /batches: no). */
  probe(signal?: AbortSignal): Promise<string | undefined>;
  /** Maps a failed Batch API call to llmbatch's error types. */
  classify(err: unknown): ProviderError;
}

/** A record's step answered through a batch: where its answer came from (in the step's result). */
export interface BatchRef {
  batch_id: string;
  request_id: string;
  custom_id: string;
}

/**
 * How a provider runs one call as a batch line: the endpoint and body it would send, and how it
 * reads the line's answer (a 2xx body, an HTTP error inside the line) back.
 */
export interface BatchLine<R> {
  url: string;
  body: object;
  parse(body: unknown): R;
  error(status: number, body: unknown): ProviderError;
}
