import { describe, it, expect } from "vitest";
import { DEFAULT_OUTPUT_TOKENS, encodingForModel, estimatePromptTokens, estimateRequestTokens, IMAGE_PART_TOKENS, LOW_DETAIL_IMAGE_TOKENS } from "../../src/tokens/token-estimate.js";
import type { ChatMessage } from "../../src/types.js";

const HELLO: ChatMessage[] = [
  { role: "system", content: "You are a helpful assistant." },
  { role: "user", content: "Hello!" },
];

describe("token estimate", () => {
  it("matches OpenAI's prompt_tokens for the spec example (19 under o200k)", () => {
    expect(estimatePromptTokens("gpt-4o-mini", HELLO)).toBe(19);
  });

  it("adds 3 per message plus 3 for the reply", () => {
    expect(estimatePromptTokens("gpt-4o", [])).toBe(3);
    // "user" is 1 token, "" is 0.
    expect(estimatePromptTokens("gpt-4o", [{ role: "user", content: "" }])).toBe(3 + 3 + 1);
  });

  it("picks cl100k for gpt-4 / gpt-3.5 and o200k for everything else", () => {
    for (const m of ["gpt-4", "gpt-4-turbo", "gpt-4-0613", "gpt-3.5-turbo", "ft:gpt-3.5-turbo:acme::abc", "openai/gpt-4"]) {
      expect(encodingForModel(m), m).toBe("cl100k_base");
    }
    for (const m of ["gpt-4o", "gpt-4o-mini", "gpt-4.1-nano", "gpt-4.5-preview", "o3-mini", "gpt-5", "llama3.2", "qwen2.5:7b"]) {
      expect(encodingForModel(m), m).toBe("o200k_base");
    }
  });

  it("counts with the model's encoding", () => {
    const text = [{ role: "user" as const, content: "नमस्ते दुनिया, यह एक परीक्षण है।" }];
    expect(estimatePromptTokens("gpt-4", text)).toBeGreaterThan(estimatePromptTokens("gpt-4o", text));
  });

  it("treats special-token text in user content as plain text instead of throwing", () => {
    const n = estimatePromptTokens("gpt-4o", [{ role: "user", content: "a <|endoftext|> b" }]);
    expect(n).toBeGreaterThan(7);
  });

  it("reserves max_tokens, or DEFAULT_OUTPUT_TOKENS when unset", () => {
    expect(estimateRequestTokens({ model: "gpt-4o-mini", messages: HELLO, params: { max_tokens: 100 } })).toEqual({
      prompt: 19,
      maxOutput: 100,
      total: 119,
    });
    expect(estimateRequestTokens({ model: "gpt-4o-mini", messages: HELLO, params: {} })).toEqual({
      prompt: 19,
      maxOutput: DEFAULT_OUTPUT_TOKENS,
      total: 19 + 4096,
    });
  });
});

describe("token estimate: content parts, tools and n", () => {
  it("counts text parts as their text and images at the documented rough figure", () => {
    const asText = estimatePromptTokens("gpt-4o", [
      { role: "user", content: "Hello!" },
      { role: "user", content: " How are you?" },
    ]);
    const asParts = estimatePromptTokens("gpt-4o", [
      { role: "user", content: [{ type: "text", text: "Hello!" }] },
      {
        role: "user",
        content: [
          { type: "text", text: " How are you?" },
          { type: "input_audio", input_audio: {} },
        ],
      },
    ]);
    expect(asParts).toBe(asText);
    const image = (detail?: string): ChatMessage[] => [{ role: "user", content: [{ type: "image_url", image_url: detail ? { url: "u", detail } : { url: "u" } }] }];
    const empty = estimatePromptTokens("gpt-4o", [{ role: "user", content: "" }]);
    expect(estimatePromptTokens("gpt-4o", image())).toBe(empty + IMAGE_PART_TOKENS);
    expect(estimatePromptTokens("gpt-4o", image("low"))).toBe(empty + LOW_DETAIL_IMAGE_TOKENS);
  });

  it("counts a request's tools and a message's name and tool calls", () => {
    const base = estimateRequestTokens({ model: "gpt-4o", messages: HELLO, params: {} }).prompt;
    const tools = [{ type: "function", function: { name: "get_weather", parameters: { type: "object" } } }];
    expect(estimateRequestTokens({ model: "gpt-4o", messages: HELLO, params: {}, extra: { tools } }).prompt).toBeGreaterThan(base + 5);
    expect(estimatePromptTokens("gpt-4o", [{ role: "user", content: "Hello!", name: "ana" }])).toBeGreaterThan(estimatePromptTokens("gpt-4o", [{ role: "user", content: "Hello!" }]));
    expect(estimatePromptTokens("gpt-4o", [{ role: "assistant", content: null, tool_calls: [{ id: "c", function: { name: "f", arguments: "{}" } }] }])).toBeGreaterThan(
      estimatePromptTokens("gpt-4o", [{ role: "assistant", content: "" }]),
    );
  });

  it("reserves the output cap once per choice", () => {
    const one = estimateRequestTokens({ model: "gpt-4o", messages: HELLO, params: { max_tokens: 30 } });
    const three = estimateRequestTokens({ model: "gpt-4o", messages: HELLO, params: { max_tokens: 30, n: 3 } });
    expect(three.maxOutput).toBe(90);
    expect(three.total).toBe(one.total + 60);
    expect(estimateRequestTokens({ model: "gpt-4o", messages: HELLO, params: { n: 2 } }).maxOutput).toBe(2 * DEFAULT_OUTPUT_TOKENS);
  });
});
