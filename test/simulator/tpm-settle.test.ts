import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";

describe("simulator TPM: reserve at admission, settle on actual usage", () => {
  let sim: SimulatorHandle;
  beforeAll(async () => {
    sim = await startSimulator({ tpm: 600_000, quiet: true });
  });
  afterAll(() => sim.close());

  it("gives back the unused part of max_tokens before the response's headers are computed", async () => {
    const client = new OpenAI({ baseURL: sim.openaiBaseUrl, apiKey: "sk-test", maxRetries: 0 });
    const { data, response } = await client.chat.completions
      .create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "Say something short." }], max_completion_tokens: 1000 })
      .withResponse();
    const used = data.usage!.prompt_tokens + data.usage!.completion_tokens;
    expect(used).toBeLessThan(500);
    const remaining = Number(response.headers.get("x-ratelimit-remaining-tokens"));
    // Charged `used`, not prompt + 1000 (allow for refill and the floor).
    expect(remaining).toBeGreaterThanOrEqual(600_000 - used - 1);
    expect(remaining).toBeLessThanOrEqual(600_000);
  });
});
