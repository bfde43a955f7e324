import type { LlmRequest, LlmResponse, Provider } from "../../src/types.js";

/** A provider of our own interface, scripted per request: the engine's unit tests need no HTTP. */
export class FakeProvider implements Provider {
  readonly name = "openai" as const;
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  readonly requests: LlmRequest[] = [];
  constructor(private readonly behave: (prompt: string, call: number, request: LlmRequest) => Promise<LlmResponse>) {}
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

export const reply = (text: string, delayMs = 0): Promise<LlmResponse> =>
  new Promise((resolve) => setTimeout(() => resolve({ text, finishReason: "stop", model: "gpt-4o-mini", usage: { input_tokens: 10, output_tokens: 5, cached_tokens: 0 } }), delayMs));

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
