/** OpenAI-shaped object ids (`file-…`, `batch_…`, `batch_req_…`): random, so ids never repeat across simulators or restarts. */
import { randomBytes } from "node:crypto";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/** `prefix` followed by `length` random letters and digits. */
export function randomId(prefix: string, length: number): string {
  const bytes = randomBytes(length);
  let id = prefix;
  // A byte modulo 62 is slightly biased toward the first letters; harmless for ids.
  for (const byte of bytes) id += ALPHABET[byte % ALPHABET.length];
  return id;
}

/** 32 hexadecimal digits, the `request_id` of a batch output line. */
export function hexId(): string {
  return randomBytes(16).toString("hex");
}
