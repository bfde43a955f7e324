/**
 * Error bodies of OpenAI-compatible servers that are not OpenAI, worded and shaped as they send
 * them. They share OpenAI's route and status but not its `code`, so a client has to classify them
 * from their own structured fields: these let tests go through the real client over HTTP.
 */
import type { ContextStyle } from "./directives.js";
import { openaiErrors } from "./openai-errors.js";

export interface CompatError {
  status: number;
  body: { error: Record<string, unknown> };
}

/**
 * llama.cpp's `llama-server`: `type` names the error, `code` repeats the status as a number, and
 * the two token counts come along.
 */
function llamaCppContextSize(nCtx: number, nPrompt: number): CompatError {
  const message = `request (${nPrompt} tokens) exceeds the available context size (${nCtx} tokens), try increasing it`;
  return { status: 400, body: { error: { code: 400, message, type: "exceed_context_size_error", n_prompt_tokens: nPrompt, n_ctx: nCtx } } };
}

/**
 * vLLM's OpenAI server: a `VLLMValidationError` raised with `parameter="input_tokens"`, sent as its
 * `ErrorResponse` (`type` is the exception class, `code` the status as a number, `param` the parameter).
 */
function vllmContextLength(maxModelLen: number, promptTokens: number): CompatError {
  const message =
    `This model's maximum context length is ${maxModelLen} tokens. However, your request has ${promptTokens} input tokens. ` +
    `Please reduce the length of the input messages. (parameter=input_tokens, value=${promptTokens})`;
  return { status: 400, body: { error: { message, type: "BadRequestError", param: "input_tokens", code: 400 } } };
}

/** A prompt of `promptTokens` refused by a model with a `contextWindow`-token context, in `style`'s body. */
export function contextLengthError(style: ContextStyle, contextWindow: number, promptTokens: number): CompatError {
  switch (style) {
    case "llamacpp":
      return llamaCppContextSize(contextWindow, promptTokens);
    case "vllm":
      return vllmContextLength(contextWindow, promptTokens);
    case "openai":
      return openaiErrors.contextLength(contextWindow, promptTokens);
  }
}
