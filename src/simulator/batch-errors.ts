/**
 * The Files and Batches API's refusals: HTTP errors of its routes (in OpenAI's `{error:{…}}` shape),
 * and the entries of a failed batch's `errors.data` ({code, message, param, line}). Codes and
 * wording follow OpenAI's where they are known (`duplicate_custom_id`, `mismatched_model`,
 * `token_limit_exceeded`, the 200 MB message); the rest are named the same way and documented in
 * docs/simulator-batch.md.
 */
import { type OpenAIError, openaiErrors } from "./openai-errors.js";

export interface BatchError {
  code: string;
  message: string;
  param: string | null;
  /** 1-based line of the input file, or null for the whole file. */
  line: number | null;
}

function invalid(status: number, message: string, param: string | null = null, code: string | null = null): OpenAIError {
  return { status, body: { error: { message, type: "invalid_request_error", param, code } } };
}

export const fileErrors = {
  notMultipart: (contentType: string) => invalid(400, `Invalid Content-Type header (${contentType || "none"}), expected multipart/form-data.`),
  unparsable: () => invalid(400, "Could not parse multipart form"),
  missing: (field: string) => openaiErrors.missingParameter(field),
  badPurpose: (purpose: string, allowed: readonly string[]) => invalid(400, `'${purpose}' is not one of [${allowed.map((p) => `'${p}'`).join(", ")}] - 'purpose'`, "purpose"),
  notJsonl: () => invalid(400, "Invalid file format for Batch API. Must be .jsonl", "file"),
  tooLarge: (limit: number) => invalid(413, `File is too large. The maximum is ${limit} bytes.`, "file", "file_too_large"),
  notFound: (id: string) => invalid(404, `No such File object: ${id}`, "id"),
};

export const batchErrors = {
  notFound: (id: string) => invalid(404, `No batch found with id '${id}'.`, "batch_id"),
  fileNotFound: (id: string) => invalid(400, `Could not find file with ID ${id}.`, "input_file_id"),
  wrongPurpose: (id: string, purpose: string) => invalid(400, `The input file ${id} has purpose '${purpose}'; a batch needs a file uploaded with purpose 'batch'.`, "input_file_id"),
  unservedEndpoint: (endpoint: string) => invalid(400, `The simulator serves batches for /v1/chat/completions and /v1/embeddings only, not ${endpoint}.`, "endpoint", "invalid_value"),
  cannotCancel: (status: string) => invalid(409, `Cannot cancel a batch with status '${status}'.`),
  metadataTooMany: (count: number) =>
    invalid(
      400,
      `Invalid 'metadata': too many properties. Expected an object with at most 16 properties, but got an object with ${count} properties instead.`,
      "metadata",
      "object_above_max_properties",
    ),
  metadataTooLong: (param: string, max: number, length: number) =>
    invalid(400, `Invalid '${param}': string too long. Expected a string with maximum length ${max}, but got a string with length ${length} instead.`, param, "string_above_max_length"),
  metadataNotString: (param: string) => invalid(400, `Invalid type for '${param}': expected a string, but got another type instead.`, param, "invalid_type"),
  badLimit: (value: string) => invalid(400, `Invalid 'limit': expected an integer between 1 and 100, got '${value}'.`, "limit", "invalid_value"),
};

const line = (code: string, message: string, param: string | null, at: number | null): BatchError => ({ code, message, param, line: at });

/** `errors.data` entries of a batch that failed validation. */
export const validationErrors = {
  invalidJson: (at: number) => line("invalid_json_line", "This line is not parseable as valid JSON.", null, at),
  missing: (param: string, at: number) => line("missing_required_parameter", `Missing required parameter: '${param}'.`, param, at),
  badMethod: (method: unknown, at: number) => line("invalid_method", `Invalid method ${JSON.stringify(method)}: only POST is supported.`, "method", at),
  mismatchedUrl: (url: unknown, endpoint: string, at: number) =>
    line("invalid_url", `The URL provided for this request (${JSON.stringify(url)}) does not match the batch endpoint (${endpoint}).`, "url", at),
  duplicateCustomId: (customId: string, at: number) =>
    line(
      "duplicate_custom_id",
      `The custom_id '${customId}' for this request is a duplicate of another request. The custom_id parameter must be unique for each individual request in a batch.`,
      "custom_id",
      at,
    ),
  mismatchedModel: (model: string, at: number) =>
    line("mismatched_model", `The model '${model}' for this request does not match the rest of the batch. Each batch must contain requests for a single model.`, "body.model", at),
  emptyFile: () => line("empty_file", "The batch input file is empty.", null, null),
  tooManyRequests: (count: number, max: number) =>
    line("too_many_requests", `The batch input file has ${count} requests, more than the ${max} maximum. Please try again with a smaller batch.`, null, null),
  tooManyInputs: (count: number, max: number) =>
    line("too_many_requests", `The batch has ${count} embedding inputs across its requests, more than the ${max} maximum. Please try again with a smaller batch.`, null, null),
  fileTooLarge: (max: number, model: string) =>
    line("file_too_large", `The batch input file is larger than the ${max} maximum for the ${model} model. Please try again with a smaller batch.`, null, null),
  tokenLimit: (model: string, limit: number) =>
    line(
      "token_limit_exceeded",
      `Enqueued token limit reached for ${model} in organization org-simulator. Limit: ${limit.toLocaleString("en-US")} enqueued tokens. Please try again once some in_progress batches have been completed.`,
      null,
      null,
    ),
};

/** The `error` of an error-file line for a request that never ran. */
export const notRunErrors = {
  cancelled: () => ({ code: "batch_cancelled", message: "This request was not executed because the batch was cancelled." }),
  expired: () => ({ code: "batch_expired", message: "This request could not be executed before the completion window expired." }),
};
