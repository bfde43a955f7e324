/**
 * OpenAI error bodies, worded as the real API words them (OpenAI's error codes guide, and bodies seen in the wild). The shape is
 * always `{error:{message,type,param,code}}` with all four keys present, because the
 * SDK copies them onto `APIError` and clients classify on `type`/`code`.
 */

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: string | null; code: string | null };
}

export interface OpenAIError {
  status: number;
  body: OpenAIErrorBody;
}

const ORG = "org-simulator";
const RATE_LIMIT_DOCS = "Visit https://platform.openai.com/account/rate-limits to learn more.";

function error(status: number, message: string, type: string, param: string | null, code: string | null): OpenAIError {
  return { status, body: { error: { message, type, param, code } } };
}

export const openaiErrors = {
  serverError: () => error(500, "The server had an error while processing your request. Sorry about that!", "server_error", null, null),

  overloaded: (requestId: string) =>
    error(
      503,
      "That model is currently overloaded with other requests. You can retry your request, or contact us through our help center at help.openai.com if the error persists. " +
        `(Please include the request ID ${requestId} in your message.)`,
      "server_error",
      null,
      null,
    ),

  rateLimited: (model: string, kind: "requests" | "tokens", limit: number, used: number, requested: number, retryIn: string) =>
    error(
      429,
      `Rate limit reached for ${model} in organization ${ORG} on ${kind === "requests" ? "requests per min (RPM)" : "tokens per min (TPM)"}: ` +
        `Limit ${limit}, Used ${used}, Requested ${requested}. Please try again in ${retryIn}. ${RATE_LIMIT_DOCS}`,
      kind,
      null,
      "rate_limit_exceeded",
    ),

  requestTooLarge: (model: string, limit: number, requested: number) =>
    error(
      429,
      `Request too large for ${model} in organization ${ORG} on tokens per min (TPM): Limit ${limit}, Requested ${requested}. ` +
        `The input or output tokens must be reduced in order to run successfully. ${RATE_LIMIT_DOCS}`,
      "tokens",
      null,
      "rate_limit_exceeded",
    ),

  insufficientQuota: () =>
    error(
      429,
      "You exceeded your current quota, please check your plan and billing details. For more information on this error, read the docs: https://platform.openai.com/docs/guides/error-codes/api-errors.",
      "insufficient_quota",
      null,
      "insufficient_quota",
    ),

  invalidApiKey: (maskedKey: string) =>
    error(401, `Incorrect API key provided: ${maskedKey}. You can find your API key at https://platform.openai.com/account/api-keys.`, "invalid_request_error", null, "invalid_api_key"),

  missingApiKey: () =>
    error(
      401,
      "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY). You can obtain an API key from https://platform.openai.com/account/api-keys.",
      "invalid_request_error",
      null,
      "invalid_api_key",
    ),

  regionNotSupported: () => error(403, "Country, region, or territory not supported", "request_forbidden", null, "unsupported_country_region_territory"),

  contextLength: (contextWindow: number, promptTokens: number) =>
    error(
      400,
      `This model's maximum context length is ${contextWindow} tokens. However, your messages resulted in ${promptTokens} tokens. Please reduce the length of the messages.`,
      "invalid_request_error",
      "messages",
      "context_length_exceeded",
    ),

  badRequest: (message: string, param: string | null = null, code: string | null = null) => error(400, message, "invalid_request_error", param, code),

  missingParameter: (param: string) => error(400, `Missing required parameter: '${param}'.`, "invalid_request_error", param, "missing_required_parameter"),

  invalidJsonBody: () =>
    error(
      400,
      "We could not parse the JSON body of your request. (HINT: This likely means you aren't using your HTTP library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)",
      "invalid_request_error",
      null,
      null,
    ),

  unsupportedParameter: (param: string, replacement?: string) =>
    error(400, `Unsupported parameter: '${param}' is not supported with this model.${replacement ? ` Use '${replacement}' instead.` : ""}`, "invalid_request_error", param, "unsupported_parameter"),

  /** A field Chat Completions does not have. */
  unrecognizedArgument: (field: string) => error(400, `Unrecognized request argument supplied: ${field}`, "invalid_request_error", null, null),

  unsupportedValue: (param: string, value: unknown) =>
    error(400, `Unsupported value: '${param}' does not support ${String(value)} with this model. Only the default (1) value is supported.`, "invalid_request_error", param, "unsupported_value"),

  modelNotFound: (model: string) => error(404, `The model \`${model}\` does not exist or you do not have access to it.`, "invalid_request_error", null, "model_not_found"),

  /** A chat request naming an embeddings model (or any model that cannot chat). */
  notAChatModel: () => error(404, "This is not a chat model and thus not supported in the v1/chat/completions endpoint. Did you mean to use v1/completions?", "invalid_request_error", "model", null),

  missingModel: () => error(400, "you must provide a model parameter", "invalid_request_error", null, null),

  /** `/v1/embeddings`: an input that is empty, holds an empty string, or is not text or token ids. */
  invalidEmbeddingInput: () => error(400, "'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", "invalid_request_error", null, null),

  /** `/v1/embeddings`: one input longer than the model takes (`at` is `input` or `input[3]`). */
  embeddingInputTooLong: (at: string, maxTokens: number) => error(400, `Invalid '${at}': maximum context length is ${maxTokens} tokens.`, "invalid_request_error", null, null),

  /** `/v1/embeddings`: more tokens across all inputs than one request may carry. */
  tooManyTokensPerRequest: (requested: number, max: number) => error(400, `Requested ${requested} tokens, max ${max} tokens per request`, "invalid_request_error", null, "max_tokens_per_request"),

  /** `/v1/embeddings`: `dimensions` on a model that cannot shorten its vectors (ada-002). */
  dimensionsNotSupported: () => error(400, "This model does not support specifying dimensions.", "invalid_request_error", null, null),

  integerOutOfRange: (param: string, value: number, bound: "min" | "max", limit: number) =>
    error(
      400,
      `Invalid '${param}': integer ${bound === "min" ? "below minimum" : "above maximum"} value. Expected a value ${bound === "min" ? ">=" : "<="} ${limit}, but got ${value} instead.`,
      "invalid_request_error",
      param,
      bound === "min" ? "integer_below_min_value" : "integer_above_max_value",
    ),

  invalidValue: (param: string, value: unknown, supported: readonly string[]) =>
    error(400, `Invalid value: ${JSON.stringify(value)}. Supported values are: ${supported.map((v) => `'${v}'`).join(" and ")}.`, "invalid_request_error", param, "invalid_value"),

  /** `/v1/embeddings` with a chat model. */
  cannotEmbed: () => error(403, "You are not allowed to generate embeddings from this model", "invalid_request_error", null, null),

  invalidUrl: (method: string, path: string) => error(404, `Invalid URL (${method} ${path})`, "invalid_request_error", null, null),
};

/** `sk-abc***xyz`: enough to recognise a key in a log, never enough to use it. */
export function maskApiKey(key: string): string {
  if (key.length < 10) return "***";
  return `${key.slice(0, 6)}***${key.slice(-3)}`;
}
