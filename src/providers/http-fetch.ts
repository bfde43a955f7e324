/**
 * The `fetch` the SDK clients run on: one request over `node:http`/`node:https` with a keep-alive
 * agent, the answer buffered into a standard `Response`.
 *
 * Why not Node's built-in fetch (undici): every request it makes is tied to a `WeakRef` and a
 * `FinalizationRegistry` entry (the Request's AbortController, the Response's body stream). V8's
 * young-generation collector treats both as strong, so each request's whole object graph
 * (~37 KB: request, response, web streams, headers) is promoted to the old generation, where only
 * a full collection frees it, and V8 lets that generation grow to ~4× the live set between them.
 * Measured on Node 20, 20,000 chat completions at concurrency 64 against the simulator: built-in
 * fetch, 4.5 MB promoted per scavenge, 13 full GCs, peak RSS 172 MB; `node:http`, nothing
 * promoted, no full GC, peak RSS 70 MB (README "Memory").
 *
 * Anything this does not handle the way fetch would (a `Request` object, a streamed or form body,
 * a redirect to follow) is handed to the built-in fetch unchanged, so behaviour never narrows.
 */
import * as http from "node:http";
import type * as Https from "node:https";
import { pipeline } from "node:stream/promises";
import type * as Zlib from "node:zlib";
import { lazyModule } from "../lazy-module.js";

// TLS and zlib are loaded on first need (a first https URL, a first compressed answer): a run
// against a local plain-http server (Ollama, vLLM, the simulator) never pays for them.
const https = lazyModule<typeof Https>("node:https");
const zlib = lazyModule<typeof Zlib>("node:zlib");

type FetchInit = NonNullable<Parameters<typeof fetch>[1]>;

const REDIRECT = new Set([301, 302, 303, 307, 308]);
// Statuses whose Response must have a null body (the constructor throws otherwise).
const NULL_BODY = new Set([101, 103, 204, 205, 304]);

export interface HttpFetch {
  readonly fetch: typeof fetch;
  /** Closes idle keep-alive connections (they never hold the process open: they are unref'd). */
  close(): void;
}

/** One keep-alive agent per protocol, shared by every request of this fetch. */
export function createHttpFetch(): HttpFetch {
  const httpAgent = new http.Agent({ keepAlive: true });
  let httpsAgent: Https.Agent | undefined;
  const agentFor = (url: URL): http.Agent => (url.protocol === "https:" ? (httpsAgent ??= new (https().Agent)({ keepAlive: true })) : httpAgent);
  const fetchImpl = async (input: Parameters<typeof fetch>[0], init: FetchInit = {}): Promise<Response> => {
    const url = input instanceof URL ? input : typeof input === "string" ? new URL(input) : undefined;
    const body = bodyBytes(init.body);
    if (url === undefined || body === undefined || (url.protocol !== "http:" && url.protocol !== "https:")) return fetch(input, init);
    const response = await send(url, init, body, agentFor(url));
    if (REDIRECT.has(response.status) && init.redirect !== "manual" && response.headers.has("location")) return fetch(input, init);
    return response;
  };
  return {
    fetch: fetchImpl as typeof fetch,
    close() {
      httpAgent.destroy();
      httpsAgent?.destroy();
    },
  };
}

/** The body as bytes, null for none, or undefined when only the built-in fetch can send it. */
function bodyBytes(body: FetchInit["body"]): Uint8Array | string | null | undefined {
  if (body === undefined || body === null) return null;
  if (typeof body === "string") return body;
  if (body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  if (body instanceof URLSearchParams) return body.toString();
  return undefined;
}

function send(url: URL, init: FetchInit, body: Uint8Array | string | null, agent: http.Agent): Promise<Response> {
  const signal = init.signal ?? undefined;
  if (signal?.aborted) return Promise.reject(abortReason(signal));
  const headers: Record<string, string> = {};
  // The SDKs pass a Headers already (names lower-cased, values checked); copying it into a new one
  // first would only double the work.
  (init.headers instanceof Headers ? init.headers : new Headers(init.headers)).forEach((value, name) => (headers[name] = value));
  // As fetch does: ask for compression (the answer is decoded below).
  headers["accept-encoding"] ??= "gzip, deflate, br";
  if (body !== null && headers["content-length"] === undefined) headers["content-length"] = String(Buffer.byteLength(body));
  const transport = url.protocol === "https:" ? https() : http;

  return new Promise<Response>((resolve, reject) => {
    const req = transport.request(url, { method: init.method ?? "GET", headers, agent });
    const onAbort = (): void => {
      const reason = abortReason(signal);
      req.destroy(reason instanceof Error ? reason : undefined);
      reject(reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = (): void => signal?.removeEventListener("abort", onAbort);
    req.on("error", (err) => {
      done();
      reject(new TypeError("fetch failed", { cause: err }));
    });
    req.on("response", (res) => {
      readAll(res).then(
        (bytes) => {
          done();
          const status = res.statusCode ?? 0;
          resolve(new BufferedResponse(NULL_BODY.has(status) ? null : bytes, { status, statusText: res.statusMessage, headers: responseHeaders(res.rawHeaders) }).asResponse());
        },
        (err: unknown) => {
          done();
          reject(signal?.aborted ? abortReason(signal) : new TypeError("fetch failed", { cause: err }));
        },
      );
    });
    req.end(body ?? undefined);
  });
}

/** What fetch rejects with on abort: the signal's reason (an `AbortError` DOMException by default). */
function abortReason(signal: AbortSignal | undefined): unknown {
  return signal?.reason ?? new DOMException("This operation was aborted", "AbortError");
}

/** The whole body, decompressed as fetch would (`content-encoding`). */
async function readAll(res: http.IncomingMessage): Promise<Buffer> {
  const decode = decoder(res.headers["content-encoding"]);
  const chunks: Buffer[] = [];
  if (decode === undefined) {
    for await (const chunk of res) chunks.push(chunk as Buffer);
  } else {
    await pipeline(res, decode, async (source: AsyncIterable<Buffer>) => {
      for await (const chunk of source) chunks.push(chunk);
    });
  }
  return Buffer.concat(chunks);
}

function decoder(encoding: string | undefined): Zlib.Gunzip | Zlib.Inflate | Zlib.BrotliDecompress | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case "gzip":
    case "x-gzip":
      return zlib().createGunzip();
    case "deflate":
      return zlib().createInflate();
    case "br":
      return zlib().createBrotliDecompress();
    default:
      return undefined;
  }
}

const utf8 = new TextDecoder();

// TypeScript's DOM types declare Response's methods as properties, which a subclass may not
// redefine as methods; at run time it is an ordinary class.
const ResponseBase = Response as unknown as new (body: null, init: ResponseInit) => Pick<Response, "status" | "statusText" | "headers">;

/**
 * A `Response` whose body is already in memory, as every answer of this fetch is. `text()` and
 * `json()` (all the SDKs call) decode the bytes directly; a standard Response over the same bytes,
 * with its web stream, is made only if something asks for `body` or another body method. The
 * stream machinery is about a fifth of what a request allocates, and each allocation brings the
 * next young-generation GC closer, which promotes the requests still in flight.
 */
class BufferedResponse extends ResponseBase {
  readonly #bytes: Buffer | null;
  #used = false;
  #full: Response | undefined;

  constructor(bytes: Buffer | null, init: ResponseInit) {
    super(null, init);
    this.#bytes = bytes;
  }

  /** The standard Response over the same bytes, for everything but `text()`/`json()`. */
  #standard(): Response {
    if (this.#full === undefined) {
      if (this.#used) throw new TypeError("Body is unusable: Body has already been read");
      this.#full = new Response(this.#bytes, { status: this.status, statusText: this.statusText, headers: this.headers });
    }
    return this.#full;
  }

  get body(): ReadableStream<Uint8Array> | null {
    return this.#bytes === null ? null : this.#standard().body;
  }

  get bodyUsed(): boolean {
    return this.#full?.bodyUsed ?? this.#used;
  }

  text(): Promise<string> {
    if (this.#full !== undefined) return this.#full.text();
    if (this.#used) return Promise.reject(new TypeError("Body is unusable: Body has already been read"));
    if (this.#bytes !== null) this.#used = true;
    return Promise.resolve(this.#bytes === null ? "" : utf8.decode(this.#bytes));
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  arrayBuffer(): Promise<ArrayBuffer> {
    return this.#standard().arrayBuffer();
  }

  blob(): Promise<Blob> {
    return this.#standard().blob();
  }

  formData(): Promise<FormData> {
    return this.#standard().formData();
  }

  clone(): Response {
    if (this.bodyUsed) throw new TypeError("Response.clone: Body has already been consumed.");
    return this.#full !== undefined ? this.#full.clone() : new BufferedResponse(this.#bytes, { status: this.status, statusText: this.statusText, headers: this.headers }).asResponse();
  }

  asResponse(): Response {
    return this as unknown as Response;
  }
}

function responseHeaders(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i] as string, raw[i + 1] as string);
  return headers;
}
