/**
 * `custom_id`s: unique per request and stable across resumes. A record's pipeline runs the same
 * calls in the same order whenever it is replayed from the same answers, so its n-th call is named
 * after the record's id, n and a hash of the body sent: a resumed run names the same request the
 * same way (and finds its answer in the journaled batch), while a request that changed (another
 * pipeline under `--force`) never picks up an answer to a different one.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { createHash } from "node:crypto";

interface RecordCalls {
  key: string;
  calls: number;
}

const scope = new AsyncLocalStorage<RecordCalls>();

const SAFE_ID = /^[A-Za-z0-9_.:-]{1,40}$/;

/** Runs one record's pipeline; its batch calls are named after `recordId`. */
export function inRecordScope<T>(recordId: string, fn: () => Promise<T>): Promise<T> {
  const key = SAFE_ID.test(recordId) ? recordId : `h${createHash("sha256").update(recordId).digest("hex").slice(0, 20)}`;
  return scope.run({ key, calls: 0 }, fn);
}

/** The custom_id of the next call of the current record (`<id>~<n>~<hash of url and body>`). */
export function nextCustomId(serialized: string): string {
  const record = scope.getStore();
  if (record === undefined) throw new Error("a batch call outside a record's scope");
  record.calls++;
  const hash = createHash("sha256").update(serialized).digest("base64url").slice(0, 12);
  return `${record.key}~${record.calls}~${hash}`;
}
