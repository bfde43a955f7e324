/**
 * The simulator answers what a Batch API body asks for, through the real clients: `n` choices,
 * tool calls (with `tool_choice`), logprobs, usage over every choice, and OpenAI's 400s for
 * parameters a model refuses or the endpoint does not have.
 */
import { BadRequestError } from "openai";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type OpenAI from "openai";
import type { SimulatorHandle } from "../../src/simulator/index.js";
import { openaiFixture } from "./helpers.js";

const ASK = [{ role: "user" as const, content: "Write a tagline for a lamp." }];
const WEATHER = {
  type: "function" as const,
  function: {
    name: "get_weather",
    parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer", minimum: 1, maximum: 7 } }, required: ["city", "days"], additionalProperties: false },
  },
};
const TIME = { type: "function" as const, function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } }, required: ["zone"] } } };

describe("simulator: choices, tools and logprobs over /v1/chat/completions", () => {
  let sim: SimulatorHandle;
  let client: OpenAI;
  beforeAll(async () => ({ sim, client } = await openaiFixture()));
  afterAll(() => sim.close());

  it("writes n different choices and counts the tokens of all of them", async () => {
    const data = await client.chat.completions.create({ model: "gpt-4o-mini", messages: ASK, n: 3, logprobs: true, top_logprobs: 3 });
    expect(data.choices.map((c) => c.index)).toEqual([0, 1, 2]);
    expect(new Set(data.choices.map((c) => c.message.content)).size).toBe(3);
    let tokens = 0;
    for (const c of data.choices) {
      const content = c.logprobs!.content!;
      expect(content.map((t) => t.token).join("")).toBe(c.message.content);
      for (const t of content) {
        expect(t.logprob).toBeLessThanOrEqual(0);
        expect(t.bytes).toEqual([...Buffer.from(t.token)]);
        expect(t.top_logprobs).toHaveLength(3);
        expect(t.top_logprobs[0]!.token).toBe(t.token);
      }
      tokens += content.length;
    }
    expect(data.usage!.completion_tokens).toBe(tokens);
  });

  it("calls the function tool_choice names, with arguments that match its parameters", async () => {
    const data = await client.chat.completions.create({
      model: "gpt-4o",
      messages: [{ role: "user", content: "Weather in Oslo for three days?" }],
      tools: [TIME, WEATHER],
      tool_choice: { type: "function", function: { name: "get_weather" } },
    });
    const [choice] = data.choices;
    expect(choice!.finish_reason).toBe("tool_calls");
    expect(choice!.message.content).toBeNull();
    const call = choice!.message.tool_calls![0]!;
    expect(call.id).toMatch(/^call_[A-Za-z0-9]{24}$/);
    expect(call.type).toBe("function");
    if (call.type !== "function") throw new Error("not a function call");
    expect(call.function.name).toBe("get_weather");
    const args = JSON.parse(call.function.arguments);
    expect(Object.keys(args).sort()).toEqual(["city", "days"]);
    expect(args.days).toBeGreaterThanOrEqual(1);
    expect(args.days).toBeLessThanOrEqual(7);
    expect(data.usage!.completion_tokens).toBeGreaterThan(0);
    // tool_choice "none": a text answer although tools are offered.
    const none = await client.chat.completions.create({ model: "gpt-4o", messages: ASK, tools: [WEATHER], tool_choice: "none" });
    expect(none.choices[0]!.message.tool_calls).toBeUndefined();
    expect(none.choices[0]!.finish_reason).toBe("stop");
  });

  it("counts the tools' JSON text as prompt tokens", async () => {
    const plain = await client.chat.completions.create({ model: "gpt-4o", messages: ASK });
    const withTools = await client.chat.completions.create({ model: "gpt-4o", messages: ASK, tools: [WEATHER] });
    expect(withTools.usage!.prompt_tokens).toBeGreaterThan(plain.usage!.prompt_tokens + 20);
  });

  const refusal = async (body: Record<string, unknown>): Promise<BadRequestError> => {
    try {
      await client.chat.completions.create({ model: "gpt-4o-mini", messages: ASK, ...body } as never);
    } catch (err) {
      if (err instanceof BadRequestError) return err;
      throw err;
    }
    throw new Error(`expected a 400 for ${JSON.stringify(body)}`);
  };

  it("refuses what OpenAI refuses, in OpenAI's error shape", async () => {
    const o3 = await refusal({ model: "o3-mini", logprobs: true });
    expect(o3.error).toEqual({ message: "Unsupported parameter: 'logprobs' is not supported with this model.", type: "invalid_request_error", param: "logprobs", code: "unsupported_parameter" });
    const effort = await refusal({ reasoning_effort: "low" });
    expect(effort.error).toEqual({ message: "Unrecognized request argument supplied: reasoning_effort", type: "invalid_request_error", param: null, code: null });
    const unknown = await refusal({ row_id: 7 });
    expect((unknown.error as { message: string }).message).toBe("Unrecognized request argument supplied: row_id");
    const metadata = await refusal({ metadata: { source: "a" } });
    expect(metadata.error).toMatchObject({ message: "The 'metadata' parameter is only allowed when 'store' is enabled.", param: "metadata" });
    const choice = await refusal({ tool_choice: "auto" });
    expect(choice.error).toMatchObject({ param: "tool_choice" });
    // With store: true, metadata is fine.
    const stored = await client.chat.completions.create({ model: "gpt-4o-mini", messages: ASK, store: true, metadata: { source: "a" } });
    expect(stored.choices).toHaveLength(1);
  });
});

describe("simulator: tools on Ollama's /api/chat with the ollama client", () => {
  let sim: SimulatorHandle;
  beforeAll(async () => ({ sim } = await openaiFixture()));
  afterAll(() => sim.close());

  it("answers with message.tool_calls whose arguments are an object, and logprobs when asked", async () => {
    const ollama = new Ollama({ host: sim.ollamaHost });
    const called = await ollama.chat({ model: "llama3.2", messages: [{ role: "user", content: "Weather in Oslo?" }], tools: [WEATHER] });
    expect(called.done_reason).toBe("stop");
    expect(called.message.content).toBe("");
    expect(called.message.tool_calls![0]!.function.name).toBe("get_weather");
    expect(typeof called.message.tool_calls![0]!.function.arguments.city).toBe("string");
    expect(called.eval_count).toBeGreaterThan(0);
    const text = await ollama.chat({ model: "llama3.2", messages: ASK, logprobs: true, top_logprobs: 2 });
    expect(text.logprobs!.map((t) => t.token).join("")).toBe(text.message.content);
    expect(text.logprobs!.length).toBe(text.eval_count);
    expect(text.logprobs![0]!.top_logprobs).toHaveLength(2);
  });
});
