/**
 * A tiny real HTTP server for provider tests: each test scripts the answer the real client gets
 * over a real socket (no mocked SDK, no stubbed fetch). The bodies are OpenAI's and Ollama's, as the real servers send them.
 */
import { createServer, type IncomingHttpHeaders, type OutgoingHttpHeaders, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface SeenRequest {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

export type Handler = (req: SeenRequest, res: ServerResponse) => void;

export interface Peer {
  url: string;
  requests: SeenRequest[];
  /** Replaces the handler for the next requests. */
  handle(handler: Handler): void;
  close(): Promise<void>;
}

export async function startPeer(handler: Handler = (_req, res) => json(res, 500, {})): Promise<Peer> {
  let current = handler;
  const requests: SeenRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const text = Buffer.concat(chunks).toString("utf8");
      let body: unknown = text;
      try {
        body = text === "" ? undefined : JSON.parse(text);
      } catch {
        // keep the raw text: a test may want to see what was sent
      }
      const seen: SeenRequest = { method: req.method ?? "", url: req.url ?? "", headers: req.headers, body };
      requests.push(seen);
      current(seen, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(h) {
      current = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        // Hanging test requests keep sockets open; close them so the server can stop.
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function json(res: ServerResponse, status: number, body: unknown, headers: OutgoingHttpHeaders = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function text(res: ServerResponse, status: number, body: string, contentType = "text/html"): void {
  res.writeHead(status, { "content-type": contentType, "content-length": Buffer.byteLength(body) });
  res.end(body);
}

/** OpenAI's error shape: all four keys present (`ErrorResponse` in OpenAI's OpenAPI spec). */
export function openaiError(message: string, type: string, code: string | null, param: string | null = null) {
  return { error: { message, type, param, code } };
}

/** Headers, then half the promised body, then the socket dies. */
export function truncate(res: ServerResponse, body: unknown): void {
  const bytes = Buffer.from(JSON.stringify(body));
  res.writeHead(200, { "content-type": "application/json", "content-length": bytes.length });
  res.write(bytes.subarray(0, bytes.length >> 1), () => res.socket?.destroy());
}

export function chatCompletion(overrides: Record<string, unknown> = {}) {
  return {
    id: "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT",
    object: "chat.completion",
    created: 1741569952,
    model: "gpt-4o-mini-2024-07-18",
    choices: [
      {
        index: 0,
        message: { role: "assistant", content: "Hello! How can I assist you today?", refusal: null, annotations: [] },
        logprobs: null,
        finish_reason: "stop",
      },
    ],
    usage: {
      prompt_tokens: 19,
      completion_tokens: 10,
      total_tokens: 29,
      prompt_tokens_details: { cached_tokens: 4, audio_tokens: 0 },
    },
    service_tier: "default",
    system_fingerprint: "fp_abc123",
    ...overrides,
  };
}
