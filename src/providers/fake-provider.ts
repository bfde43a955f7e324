import type { LlmRequest, LlmResponse, Provider } from "../types.js";

/** Answers one request: `prompt` is the text of its last message, `call` counts calls from 1. */
export type FakeBehaviour = (prompt: string, call: number, request: LlmRequest) => Promise<LlmResponse>;

/**
 * A provider of llmbatch's own interface whose answers a function scripts, for unit tests with no
 * HTTP: pass it as `providers: () => fake` to `BaseLLMService` or `runPipeline`. A rejection with a
 * `ProviderError` is a failed attempt of that error type (retried as a real one would be). It
 * records the requests it got and how many ran at once.
 */
export class FakeProvider implements Provider {
  readonly name = "openai" as const;
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  readonly requests: LlmRequest[] = [];
  constructor(private readonly behave: FakeBehaviour) {}
  async generate(request: LlmRequest): Promise<LlmResponse> {
    this.calls++;
    this.requests.push(request);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      return await this.behave(String(request.messages.at(-1)!.content), this.calls, request);
    } finally {
      this.inFlight--;
    }
  }
}

/** A reply with `text`, as gpt-4o-mini would give it (10 input and 5 output tokens); `over` changes any field. */
export function fakeResponse(text: string, over: Partial<LlmResponse> = {}): LlmResponse {
  return { text, finishReason: "stop", model: "gpt-4o-mini", usage: { input_tokens: 10, output_tokens: 5, cached_tokens: 0 }, ...over };
}
