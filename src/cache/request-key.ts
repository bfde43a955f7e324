/**
 * The response cache's key: sha256 over what a call sends, as canonical JSON (object keys sorted at
 * every level), with the cache's format version and the provider kind. The provider says what it
 * sends (`Provider.sentRequest`: the URL and the wire body, which hold the model, the messages and
 * every parameter); the API key is never part of it, so a rotated key keeps its answers.
 */
import { createHash } from "node:crypto";
import { canonicalJson } from "../config/fingerprint.js";
import type { Provider, SentCall } from "../types.js";

/**
 * Bumped whenever what is stored, or how the key is made, changes: entries of another version are
 * never read (they are misses, and age out by LRU).
 */
export const CACHE_FORMAT = 1;

/** The key of one call: 64 hex characters. */
export function requestKey(provider: Provider, call: SentCall): string {
  const sent = provider.sentRequest ? provider.sentRequest(call) : { kind: call.kind, request: call.request };
  const identity = { format: CACHE_FORMAT, provider: provider.name, kind: call.kind, sent };
  return createHash("sha256").update(canonicalJson(identity)).digest("hex");
}
