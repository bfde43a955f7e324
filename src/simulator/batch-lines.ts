/**
 * Runs one batch line the way the synchronous route answers the same body (the same plan, the same
 * reply, the same usage), without its transport: no RPM/TPM buckets (the Batch API has its own
 * pool), no latency, no resets. What would fail synchronously fails the line, with the same status
 * and `{error:{…}}` body: OpenAI's refusals, `[[sim:bad_request]]`, `[[sim:quota]]`, and the first
 * N attempts of `[[sim:fail:N:KIND]]` (500, 503 or 429; a transport kind becomes a 500 here),
 * counted together with synchronous attempts of the same content. `lineFailureRate` adds random 500s.
 */
import type { BatchEndpoint, InputLine } from "./batch-validate.js";
import type { SimContext } from "./context.js";
import { wantsInvalidJson } from "./context.js";
import type { Directives } from "./directives.js";
import { directiveText } from "./embeddings.js";
import { hexId, randomId } from "./ids.js";
import { embeddingsBody, planEmbeddings } from "./openai-embeddings-route.js";
import { type OpenAIError, openaiErrors } from "./openai-errors.js";
import { chatCompletionBody, planChat } from "./openai-routes.js";
import type { Rng } from "./rng.js";

export interface LineResult {
  /** The output-file (200) or error-file line, serialised. */
  json: string;
  ok: boolean;
  /** As named in the body. */
  model: string;
  inputTokens: number;
  outputTokens: number;
}

interface Failure {
  status: number;
  body: unknown;
}

interface Success {
  status: 200;
  body: unknown;
  inputTokens: number;
  outputTokens: number;
}

type Answer = Failure | Success;

function succeeded(answer: Answer): answer is Success {
  return "inputTokens" in answer;
}

export function runLine(ctx: SimContext, endpoint: BatchEndpoint, line: InputLine, failureRng: Rng | undefined, failureRate: number): LineResult {
  const model = String(line.body["model"]);
  const answer = endpoint === "/v1/embeddings" ? embeddingsAnswer(ctx, line.body) : chatAnswer(ctx, line.body);
  const randomFailure = failureRng !== undefined && failureRng() < failureRate;
  const result: Answer = succeeded(answer) && randomFailure ? openaiErrors.serverError() : answer;
  const response = { status_code: result.status, request_id: hexId(), body: result.body };
  const json = JSON.stringify({ id: randomId("batch_req_", 24), custom_id: line.customId, response, error: null });
  if (!succeeded(result)) return { json, ok: false, model, inputTokens: 0, outputTokens: 0 };
  return { json, ok: true, model, inputTokens: result.inputTokens, outputTokens: result.outputTokens };
}

function chatAnswer(ctx: SimContext, body: unknown): Answer {
  const plan = planChat(ctx, body);
  if (plan.kind === "refused") return plan.error;
  const failure = directiveFailure(ctx, plan.directives, plan.request.lastUserText, plan.model.family);
  if (failure) return failure;
  const invalidJson = plan.request.format.kind !== "text" && wantsInvalidJson(ctx, plan.directives, plan.request.lastUserText);
  const { body: reply, completionTokens } = chatCompletionBody(ctx, plan, invalidJson);
  return { status: 200, body: reply, inputTokens: plan.promptTokens, outputTokens: completionTokens };
}

function embeddingsAnswer(ctx: SimContext, body: unknown): Answer {
  const plan = planEmbeddings(ctx, body);
  if (plan.kind === "refused") return plan.error;
  const failure = directiveFailure(ctx, plan.directives, directiveText(plan.request.items), plan.model.family);
  if (failure) return failure;
  return { status: 200, body: embeddingsBody(ctx, plan), inputTokens: plan.promptTokens, outputTokens: 0 };
}

/** `[[sim:rate_limit]]` and the counted `[[sim:fail:N:KIND]]`, as a line's HTTP error. */
function directiveFailure(ctx: SimContext, directives: Directives | undefined, contentKey: string, family: string): OpenAIError | undefined {
  if (directives?.rateLimit) return rateLimited(family);
  const fail = directives?.fail;
  if (!fail || ctx.attempts.next(`fail\u0000${contentKey}`) > fail.times) return undefined;
  if (fail.kind === "503") return openaiErrors.overloaded(`req_${hexId()}`);
  if (fail.kind === "429") return rateLimited(family);
  return openaiErrors.serverError();
}

function rateLimited(family: string): OpenAIError {
  return openaiErrors.rateLimited(family, "requests", 1, 1, 1, "1s");
}
