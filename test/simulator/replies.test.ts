import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { describe, expect, it } from "vitest";
import { makeReply } from "../../src/simulator/replies.js";

describe("generated replies", () => {
  it("report exactly the o200k token count of their text, cut or not", () => {
    for (let i = 0; i < 400; i++) {
      const maxTokens = i % 3 === 0 ? 1 + (i % 50) : undefined;
      const reply = makeReply({ seed: i, contentKey: `prompt ${i}`, format: { kind: "text" }, maxTokens });
      expect(reply.tokens).toBe(countTokens(reply.text));
      if (maxTokens !== undefined && reply.finishReason === "length") expect(reply.tokens).toBe(maxTokens);
      if (maxTokens === undefined) expect(reply.tokens).toBeGreaterThanOrEqual(20);
    }
  });

  it("are a pure function of seed and content", () => {
    const request = { seed: 3, contentKey: "same", format: { kind: "text" as const }, maxTokens: undefined };
    expect(makeReply(request)).toEqual(makeReply(request));
    expect(makeReply({ ...request, seed: 4 }).text).not.toBe(makeReply(request).text);
    expect(makeReply({ ...request, choiceIndex: 1 }).text).not.toBe(makeReply(request).text);
  });

  it("read as sentences", () => {
    const { text } = makeReply({ seed: 1, contentKey: "x", format: { kind: "text" }, maxTokens: undefined });
    expect(text).toMatch(/^[A-Z][a-z]+( [A-Za-z]+)*\.( [A-Z][a-z]+( [a-z]+)*\.)*$/);
  });
});
