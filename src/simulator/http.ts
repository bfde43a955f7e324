/** Small `node:http` helpers shared by the OpenAI and Ollama routes. */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from "node:http";

/** Larger than any prompt a test or benchmark sends; guards the process, not the protocol. */
const MAX_BODY_BYTES = 64 * 1024 * 1024;

export type BodyResult = { kind: "json"; value: unknown } | { kind: "empty" } | { kind: "invalid" } | { kind: "too_large" } | { kind: "aborted" };

export async function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  const raw = await readRawBody(req, MAX_BODY_BYTES);
  if (raw.kind !== "bytes") return raw;
  if (raw.value.length === 0) return { kind: "empty" };
  try {
    return { kind: "json", value: JSON.parse(raw.value.toString("utf8")) };
  } catch {
    // Not JSON is an answer (a 400), not an error of the simulator.
    return { kind: "invalid" };
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}, contentType = "application/json"): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...headers,
    "content-type": contentType,
    "content-length": Buffer.byteLength(text),
  });
  res.end(text);
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = "text/plain; charset=utf-8"): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(text) });
  res.end(text);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Resolves true after `ms`, or false as soon as the client goes away, clearing the timer
 * either way, so neither an abort nor `close()` leaves a timer behind.
 */
export function sleepUnlessClosed(res: ServerResponse, ms: number): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  if (ms <= 0) return Promise.resolve(true);
  return new Promise((resolve) => {
    const onClose = () => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off("close", onClose);
      resolve(true);
    }, ms);
    res.once("close", onClose);
  });
}

export type RawBodyResult = { kind: "bytes"; value: Buffer } | { kind: "too_large" } | { kind: "aborted" };

/**
 * The whole body, up to `maxBytes`; beyond that it is read to the end and dropped (so the client
 * still gets the answer rather than a broken pipe).
 */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<RawBodyResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: RawBodyResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
      else chunks.length = 0;
    });
    req.on("end", () => finish(size > maxBytes ? { kind: "too_large" } : { kind: "bytes", value: Buffer.concat(chunks) }));
    req.on("error", () => finish({ kind: "aborted" }));
    req.on("close", () => finish({ kind: "aborted" }));
  });
}

/** `?a=1&b=2` of a request, as URLSearchParams. */
export function queryOf(req: IncomingMessage): URLSearchParams {
  const url = req.url ?? "/";
  const at = url.indexOf("?");
  return new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
}
