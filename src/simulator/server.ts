/** The HTTP server: routing by method and path, and shutdown that leaves nothing behind. */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { SimContext } from "./context.js";
import { sendJson, sendText } from "./http.js";
import { handleChatCompletions, handleListModels, handleOpenAINotFound } from "./openai-routes.js";
import { handleEmbeddings } from "./openai-embeddings-route.js";
import { handleOllamaEmbed } from "./ollama-embed-route.js";
import { handleOllamaGenerate, handleTags, handleVersion } from "./ollama-routes.js";

type Handler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

const ROUTES: Readonly<Record<string, Handler>> = {
  "POST /v1/chat/completions": handleChatCompletions,
  "POST /v1/embeddings": handleEmbeddings,
  "GET /v1/models": handleListModels,
  "POST /api/chat": (ctx, req, res) => handleOllamaGenerate(ctx, req, res, "chat"),
  "POST /api/generate": (ctx, req, res) => handleOllamaGenerate(ctx, req, res, "generate"),
  "POST /api/embed": handleOllamaEmbed,
  "GET /api/tags": (ctx, _req, res) => handleTags(ctx, res),
  "GET /api/version": (_ctx, _req, res) => handleVersion(res),
  "GET /": (_ctx, _req, res) => sendText(res, 200, "Ollama is running"),
  "HEAD /": (_ctx, _req, res) => sendText(res, 200, ""),
};

function route(req: IncomingMessage): Handler {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const handler = ROUTES[`${req.method ?? "GET"} ${path.replace(/\/+$/, "") || "/"}`];
  if (handler) return handler;
  if (path.startsWith("/v1/") || path === "/v1") return handleOpenAINotFound;
  // gin's plain-text 404, which is what a real Ollama answers on unknown paths.
  return (_ctx, innerReq, res) => {
    innerReq.resume();
    sendText(res, 404, "404 page not found");
  };
}

export function createSimulatorServer(ctx: SimContext, log: (message: string) => void): Server {
  return createServer((req, res) => {
    let result: void | Promise<void>;
    try {
      result = route(req)(ctx, req, res);
    } catch (error) {
      return internalError(res, error, log);
    }
    if (result) result.catch((error: unknown) => internalError(res, error, log));
  });
}

/** A bug in the simulator must look like a bug (500 + log), not like a simulated fault. */
function internalError(res: ServerResponse, error: unknown, log: (message: string) => void): void {
  log(`simulator: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  if (!res.headersSent) sendJson(res, 500, { error: { message: "simulator internal error", type: "server_error", param: null, code: null } });
  else res.destroy();
}

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      const address = server.address();
      resolve(typeof address === "object" && address ? address.port : port);
    });
  });
}

/** Stops accepting, then destroys every open socket (hung requests included) so callers exit fast. */
export function shutdown(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
    server.closeAllConnections();
  });
}
