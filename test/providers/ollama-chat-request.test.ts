import { describe, expect, it } from "vitest";
import { toOllamaChat } from "../../src/providers/ollama/ollama-chat-request.js";
import type { LlmRequest } from "../../src/types.js";

const req = (over: Partial<LlmRequest>): LlmRequest => ({ model: "llama3.2", messages: [{ role: "user", content: "hi" }], params: {}, ...over });

describe("toOllamaChat: an OpenAI request as Ollama's /api/chat body", () => {
  it("maps a tool conversation: tool_calls with object arguments, a tool result named by its call's function", () => {
    const body = toOllamaChat(
      req({
        messages: [
          { role: "developer", content: "Use the tools." },
          { role: "user", content: "Weather in Oslo?" },
          { role: "assistant", content: null, tool_calls: [{ id: "call_9", type: "function", function: { name: "get_weather", arguments: '{"city":"Oslo"}' } }] },
          { role: "tool", tool_call_id: "call_9", content: '{"temp":3}' },
        ],
      }),
    );
    expect(body).toEqual({
      model: "llama3.2",
      messages: [
        { role: "system", content: "Use the tools." },
        { role: "user", content: "Weather in Oslo?" },
        { role: "assistant", content: "", tool_calls: [{ function: { name: "get_weather", arguments: { city: "Oslo" } } }] },
        { role: "tool", content: '{"temp":3}', tool_name: "get_weather" },
      ],
    });
  });

  it("maps reasoning_effort to think and drops tools for tool_choice none; defaults need no equivalent", () => {
    expect(toOllamaChat(req({ extra: { reasoning_effort: "none" } }))).toMatchObject({ think: false });
    expect(toOllamaChat(req({ extra: { reasoning_effort: "high", tools: [{ type: "function", function: { name: "f" } }], tool_choice: "none" } }))).not.toHaveProperty("tools");
    expect(toOllamaChat(req({ params: { n: 1 }, extra: { parallel_tool_calls: true, store: false, user: null } }))).toEqual({ model: "llama3.2", messages: [{ role: "user", content: "hi" }] });
  });

  it("refuses by name what has no equivalent", () => {
    expect(toOllamaChat(req({ extra: { reasoning_effort: "minimal" } }))).toContain('reasoning_effort: "minimal"');
    expect(toOllamaChat(req({ extra: { tool_choice: "required" } }))).toContain('tool_choice: "required"');
    expect(toOllamaChat(req({ messages: [{ role: "user", content: "hi", name: "ana" }] }))).toBe('Ollama has no equivalent of messages[0].name: "ana"');
    expect(toOllamaChat(req({ messages: [{ role: "user", content: [{ type: "input_audio", input_audio: {} }] }] }))).toContain('the content part type "input_audio"');
    expect(toOllamaChat(req({ messages: [{ role: "tool", tool_call_id: "nope", content: "1" }] }))).toContain("no earlier assistant message called a tool with that id");
  });
});
