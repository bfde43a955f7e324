import { RateLimitError } from "openai";
import { describe, expect, it } from "vitest";
import { openaiFixture, parseGoDuration, postJson } from "./helpers.js";

const MESSAGES = [{ role: "user" as const, content: "Hello!" }];
const TRY_AGAIN = "Please try again in (\\S+)\\. Visit https://platform\\.openai\\.com/account/rate-limits to learn more\\.";

describe("RPM limit", () => {
  it("returns 429 with the exact RPM body once the per-second slice is used up", async () => {
    // 30 RPM enforced over 4-second slices: a bucket of 2 that refills one every 2 s.
    const { sim, client } = await openaiFixture({ rpm: 30, burstSeconds: 4 });
    try {
      const url = `${sim.openaiBaseUrl}/chat/completions`;
      const first = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES }).withResponse();
      expect(first.response.headers.get("x-ratelimit-limit-requests")).toBe("30");
      expect(first.response.headers.get("x-ratelimit-remaining-requests")).toBe("29");
      await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES });

      const limited = await postJson(url, { model: "gpt-4o-mini", messages: MESSAGES });
      expect(limited.status).toBe(429);
      const error = (limited.json as { error: { message: string; type: string; param: null; code: string } }).error;
      expect(error).toMatchObject({ type: "requests", param: null, code: "rate_limit_exceeded" });
      const match = new RegExp(`^Rate limit reached for gpt-4o-mini in organization org-simulator on requests per min \\(RPM\\): Limit 30, Used (\\d+), Requested 1\\. ${TRY_AGAIN}$`).exec(
        error.message,
      );
      expect(match, error.message).not.toBeNull();
      const waitMs = parseGoDuration(match?.[2] ?? "");
      expect(waitMs).toBeGreaterThan(0);
      expect(waitMs).toBeLessThanOrEqual(2000);
      expect(Number(limited.headers.get("retry-after-ms"))).toBe(Math.max(1, Math.ceil(waitMs)));
      expect(limited.headers.get("retry-after")).toBe(String(Math.ceil(Math.ceil(waitMs) / 1000)));
      expect(limited.headers.get("x-ratelimit-limit-requests")).toBe("30");
      expect(parseGoDuration(limited.headers.get("x-ratelimit-reset-requests") ?? "")).toBeGreaterThan(0);

      const sdkError = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES }).catch((e: unknown) => e);
      expect(sdkError).toBeInstanceOf(RateLimitError);
      expect(sdkError).toMatchObject({ status: 429, type: "requests", code: "rate_limit_exceeded" });
      expect((sdkError as RateLimitError).headers?.get("retry-after-ms")).toMatch(/^\d+$/);

      expect(sim.stats()).toMatchObject({ requests: 4, ok: 2, rateLimited: 2, byStatus: { "200": 2, "429": 2 } });
    } finally {
      await sim.close();
    }
  });

  it("keeps separate budgets per model, as OpenAI does", async () => {
    const { sim, client } = await openaiFixture({ rpm: 30 });
    try {
      await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES });
      await expect(client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES })).rejects.toBeInstanceOf(RateLimitError);
      await expect(client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES })).resolves.toBeDefined();
    } finally {
      await sim.close();
    }
  });
});

describe("TPM limit", () => {
  it("charges prompt + max tokens at admission and refuses the next request with a tokens 429", async () => {
    // 1200 TPM over 5-second slices = a bucket of 100 tokens refilling 20 per second.
    const { sim, client } = await openaiFixture({ tpm: 1200, burstSeconds: 5 });
    try {
      const { response } = await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, max_completion_tokens: 60 }).withResponse();
      // "Hello!" alone is 9 prompt tokens: 69 charged, so 1200 - 69 remain on the minute scale.
      const remaining = Number(response.headers.get("x-ratelimit-remaining-tokens"));
      expect(remaining).toBeGreaterThanOrEqual(1131); // plus whatever refilled meanwhile
      expect(remaining).toBeLessThan(1200 - 60);
      const error = await client.chat.completions.create({ model: "gpt-4o", messages: MESSAGES, max_completion_tokens: 60 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
      expect((error as RateLimitError).message).toMatch(
        new RegExp(`^429 Rate limit reached for gpt-4o in organization org-simulator on tokens per min \\(TPM\\): Limit 1200, Used \\d+, Requested 69\\. ${TRY_AGAIN}$`),
      );
    } finally {
      await sim.close();
    }
  });

  it("rejects a request larger than the whole TPM limit as too large, without charging it", async () => {
    const { sim, client } = await openaiFixture({ tpm: 1000 });
    try {
      const error = await client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(RateLimitError);
      expect(error).toMatchObject({ type: "tokens", code: "rate_limit_exceeded" });
      expect((error as RateLimitError).message).toBe(
        "429 Request too large for gpt-4o-mini in organization org-simulator on tokens per min (TPM): Limit 1000, Requested 4105. " +
          "The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.",
      );
      expect((error as RateLimitError).headers?.get("x-ratelimit-remaining-tokens")).toBe("1000");
      await expect(client.chat.completions.create({ model: "gpt-4o-mini", messages: MESSAGES, max_completion_tokens: 5 })).resolves.toBeDefined();
    } finally {
      await sim.close();
    }
  });
});
