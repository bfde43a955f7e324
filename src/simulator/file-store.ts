/**
 * The simulator's Files: uploaded inputs and the output and error files batches write, kept in
 * memory for the simulator's lifetime, listed in upload order.
 */
import { createHash } from "node:crypto";
import { randomId } from "./ids.js";

/** OpenAI's `FileObject`, every field present (`status` and `status_details` are deprecated but still sent). */
export interface FileObject {
  id: string;
  object: "file";
  bytes: number;
  created_at: number;
  filename: string;
  purpose: string;
  status: "processed";
  status_details: null;
  expires_at: number | null;
}

export interface StoredFile {
  object: FileObject;
  content: Buffer;
  /** sha256 of the content, hex. */
  sha256: string;
}

/** Files with purpose `batch` expire after 30 days unless `expires_after` says otherwise (OpenAI's default). */
const BATCH_FILE_TTL_SECONDS = 30 * 24 * 3600;

export class FileStore {
  readonly #files = new Map<string, StoredFile>();

  add(filename: string, purpose: string, content: Buffer, expiresAfterSeconds?: number): StoredFile {
    const createdAt = Math.floor(Date.now() / 1000);
    const ttl = expiresAfterSeconds ?? (purpose === "batch" || purpose === "batch_output" ? BATCH_FILE_TTL_SECONDS : undefined);
    const object: FileObject = {
      id: randomId("file-", 22),
      object: "file",
      bytes: content.length,
      created_at: createdAt,
      filename,
      purpose,
      status: "processed",
      status_details: null,
      expires_at: ttl === undefined ? null : createdAt + ttl,
    };
    const stored = { object, content, sha256: createHash("sha256").update(content).digest("hex") };
    this.#files.set(object.id, stored);
    return stored;
  }

  get(id: string): StoredFile | undefined {
    return this.#files.get(id);
  }

  delete(id: string): boolean {
    return this.#files.delete(id);
  }

  /** Oldest first. */
  all(): StoredFile[] {
    return [...this.#files.values()];
  }
}
