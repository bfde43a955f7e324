/**
 * The batches a simulator holds: each one's wire object (OpenAI's `Batch`, every field present,
 * timestamps null until reached) beside what running it needs, listed newest first with a cursor
 * as `GET /v1/batches` does. Nothing is ever removed, so a cursor stays valid and lists are stable.
 */
import type { BatchError } from "./batch-errors.js";
import type { BatchEndpoint, InputLine } from "./batch-validate.js";
import type { StoredFile } from "./file-store.js";

export type BatchStatus = "validating" | "failed" | "in_progress" | "finalizing" | "completed" | "expired" | "cancelling" | "cancelled";

export interface BatchObject {
  id: string;
  object: "batch";
  endpoint: BatchEndpoint;
  errors: { object: "list"; data: BatchError[] } | null;
  input_file_id: string;
  completion_window: "24h";
  status: BatchStatus;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  in_progress_at: number | null;
  expires_at: number;
  finalizing_at: number | null;
  completed_at: number | null;
  failed_at: number | null;
  expired_at: number | null;
  cancelling_at: number | null;
  cancelled_at: number | null;
  request_counts: { total: number; completed: number; failed: number };
  metadata: Record<string, string> | null;
  model: string | null;
  usage: {
    input_tokens: number;
    input_tokens_details: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details: { reasoning_tokens: number };
    total_tokens: number;
  };
}

export interface BatchRecord {
  wire: BatchObject;
  input: StoredFile;
  createdMs: number;
  expiresMs: number;
  /** Seconds the output and error files live (`output_expires_after`); undefined = the files' default. */
  outputTtlSeconds: number | undefined;
  /** Set by validation. */
  lines: InputLine[];
  /** Lines run so far (they run in file order). */
  next: number;
  inProgressMs?: number;
  finalizingMs?: number;
  cancelMs?: number;
  /** The model as the request bodies name it, and the prompt tokens it holds in the enqueued-token pool while in the pool. */
  model?: string;
  enqueuedTokens: number;
  enqueuedFromMs?: number;
  enqueuedUntilMs?: number;
  outputLines: string[];
  errorLines: string[];
}

const TERMINAL: ReadonlySet<BatchStatus> = new Set(["failed", "completed", "expired", "cancelled"]);

export function isTerminal(status: BatchStatus): boolean {
  return TERMINAL.has(status);
}

export class BatchStore {
  /** Creation order. */
  readonly #records: BatchRecord[] = [];
  readonly #byId = new Map<string, BatchRecord>();

  add(record: BatchRecord): void {
    this.#records.push(record);
    this.#byId.set(record.wire.id, record);
  }

  get(id: string): BatchRecord | undefined {
    return this.#byId.get(id);
  }

  /** Creation order (oldest first). */
  all(): readonly BatchRecord[] {
    return this.#records;
  }

  /** Newest first, after the batch `after` (exclusive); an unknown cursor gives an empty page. */
  page(after: string | undefined, limit: number): { data: BatchRecord[]; hasMore: boolean } {
    let end = this.#records.length;
    if (after !== undefined) {
      const index = this.#records.findIndex((r) => r.wire.id === after);
      end = index === -1 ? 0 : index;
    }
    const start = Math.max(0, end - limit);
    return { data: this.#records.slice(start, end).reverse(), hasMore: start > 0 };
  }
}
