import { fakeResponse } from "../../src/providers/fake-provider.js";
import type { LlmResponse } from "../../src/types.js";

export { FakeProvider } from "../../src/providers/fake-provider.js";

export const reply = (text: string, delayMs = 0): Promise<LlmResponse> => new Promise((resolve) => setTimeout(() => resolve(fakeResponse(text)), delayMs));

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
