/** The HTTP server: routing by method and path, and shutdown that leaves nothing behind. */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from "node:http";
import type { SimContext } from "./context.js";
import { sendJson, sendText } from "./http.js";
import { handleChatCompletions, handleListModels, handleOpenAINotFound } from "./openai-routes.js";
import { handleCancelBatch, handleCreateBatch, handleListBatches, handleRetrieveBatch } from "./batches-routes.js";
import { handleDeleteFile, handleFileContent, handleListFiles, handleRetrieveFile, handleUploadFile } from "./files-routes.js";
import { handleEmbeddings } from "./openai-embeddings-route.js";
import { handleOllamaEmbed } from "./ollama-embed-route.js";
import { handleOllamaGenerate, handleTags, handleVersion } from "./ollama-routes.js";

type Handler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse) => void | Promise<void>;
type IdHandler = (ctx: SimContext, req: IncomingMessage, res: ServerResponse, id: string) => void | Promise<void>;

const ROUTES: Readonly<Record<string, Handler>> = {
  "POST /v1/chat/completions": handleChatCompletions,
  "POST /v1/embeddings": handleEmbeddings,
  "GET /v1/models": handleListModels,
  "POST /v1/files": handleUploadFile,
  "GET /v1/files": handleListFiles,
  "POST /v1/batches": handleCreateBatch,
  "GET /v1/batches": handleListBatches,
  "POST /api/chat": (ctx, req, res) => handleOllamaGenerate(ctx, req, res, "chat"),
  "POST /api/generate": (ctx, req, res) => handleOllamaGenerate(ctx, req, res, "generate"),
  "POST /api/embed": handleOllamaEmbed,
  "GET /api/tags": (ctx, _req, res) => handleTags(ctx, res),
  "GET /api/version": (_ctx, _req, res) => handleVersion(res),
  "GET /": (_ctx, _req, res) => sendText(res, 200, "Ollama is running"),
  "HEAD /": (_ctx, _req, res) => sendText(res, 200, ""),
};

/** Routes with an object id in the path: `METHOD`, the pattern (its one group is the id), the handler. */
const ID_ROUTES: readonly (readonly [string, RegExp, IdHandler])[] = [
  ["GET", /^\/v1\/files\/([^/]+)$/, handleRetrieveFile],
  ["DELETE", /^\/v1\/files\/([^/]+)$/, handleDeleteFile],
  ["GET", /^\/v1\/files\/([^/]+)\/content$/, handleFileContent],
  ["GET", /^\/v1\/batches\/([^/]+)$/, handleRetrieveBatch],
  ["POST", /^\/v1\/batches\/([^/]+)\/cancel$/, handleCancelBatch],
];

function route(req: IncomingMessage): Handler {
  const path = (req.url ?? "/").split("?")[0] ?? "/";
  const trimmed = path.replace(/\/+$/, "") || "/";
  const handler = ROUTES[`${req.method ?? "GET"} ${trimmed}`];
  if (handler) return handler;
  for (const [method, pattern, idHandler] of ID_ROUTES) {
    const id = method === req.method ? pattern.exec(trimmed)?.[1] : undefined;
    if (id !== undefined) return (ctx, innerReq, res) => idHandler(ctx, innerReq, res, decodePathPart(id));
  }
  if (path.startsWith("/v1/") || path === "/v1") return handleOpenAINotFound;
  // gin's plain-text 404, which is what a real Ollama answers on unknown paths.
  return (_ctx, innerReq, res) => {
    innerReq.resume();
    sendText(res, 404, "404 page not found");
  };
}

/** A malformed escape is the client's: the id is then looked up as sent (and not found). */
function decodePathPart(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
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
