import { describe, expect, it } from "vitest";
import { toRecord } from "../../src/io/record.js";

const batchLine = (over: Record<string, unknown> = {}, body: Record<string, unknown> = {}) => ({
  custom_id: "req-1",
  method: "POST",
  url: "/v1/chat/completions",
  body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "Hello" }], max_completion_tokens: 50, temperature: 0, ...body },
  ...over,
});

describe("toRecord: plain records", () => {
  it("accepts prompt, messages, or neither (a template may build the prompt)", () => {
    expect(toRecord({ prompt: "p" }, 3)).toEqual({ id: "", line: 3, prompt: "p", vars: { prompt: "p" } });
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Hi" },
    ];
    expect(toRecord({ id: "m", messages }, 1)).toMatchObject({ id: "m", messages });
    expect(toRecord({ text: "only vars" }, 9)).toEqual({ id: "", line: 9, vars: { text: "only vars" } });
  });

  it("turns numeric ids into strings and treats null or empty ids as absent", () => {
    expect(toRecord({ id: 42, prompt: "x" }, 1)).toMatchObject({ id: "42" });
    expect(toRecord({ id: null, prompt: "x" }, 5)).toMatchObject({ id: "" });
    expect(toRecord({ id: "", prompt: "x" }, 6)).toMatchObject({ id: "" });
    expect(toRecord({ id: true }, 1)).toBe("id must be a string or a number, got true");
  });

  it("names the field and the value received", () => {
    expect(toRecord({ prompt: 42 }, 1)).toBe("prompt must be a string, got 42");
    expect(toRecord({ messages: "hi" }, 1)).toBe('messages must be an array of {role, content}, got "hi"');
    expect(toRecord({ messages: [] }, 1)).toBe("messages must not be empty");
    expect(toRecord({ messages: ["hi"] }, 1)).toBe('messages[0] must be an object with role and content, got "hi"');
    expect(
      toRecord(
        {
          messages: [
            { role: "user", content: "a" },
            { role: "bot", content: "b" },
          ],
        },
        1,
      ),
    ).toBe('messages[1].role must be one of system, developer, user, assistant, tool, got "bot"');
    expect(toRecord({ messages: [{ role: "user" }] }, 1)).toBe("messages[0].content must be a string or an array of content parts, got nothing");
  });

  it("clips long values in messages", () => {
    const message = toRecord({ prompt: ["x"], id: { long: "y".repeat(1000) } }, 1) as string;
    expect(message.length).toBeLessThan(120);
  });
});

describe("toRecord: OpenAI Batch API request lines", () => {
  it("takes id, messages, model and params from the request", () => {
    const line = batchLine({}, { top_p: 0.5, seed: 7, stop: ["\n"], response_format: { type: "json_object" }, n: 1 });
    expect(toRecord(line, 4)).toEqual({
      id: "req-1",
      line: 4,
      body: "batch",
      messages: [{ role: "user", content: "Hello" }],
      model: "gpt-4o-mini",
      params: { max_tokens: 50, max_tokens_field: "max_completion_tokens", temperature: 0, top_p: 0.5, seed: 7, n: 1, stop: ["\n"], response_format: { type: "json_object" } },
      vars: line,
    });
  });

  it("accepts max_tokens as the older spelling and json_schema formats", () => {
    const schema = { type: "json_schema", json_schema: { name: "out", schema: { type: "object" }, strict: true } };
    const rec = toRecord(batchLine({}, { max_completion_tokens: undefined, max_tokens: 20, response_format: schema }), 1);
    expect(rec).toMatchObject({ params: { max_tokens: 20, response_format: schema } });
  });

  it("rejects other endpoints and malformed bodies, naming the field", () => {
    expect(toRecord(batchLine({ url: "/v1/responses" }), 1)).toBe('url must be "/v1/chat/completions" or "/v1/embeddings" (the Batch API endpoints llmbatch runs), got "/v1/responses"');
    expect(toRecord(batchLine({ method: "GET" }), 1)).toBe('method must be "POST", got "GET"');
    expect(toRecord(batchLine({ body: "x" }), 1)).toBe('body must be an object, got "x"');
    expect(toRecord(batchLine({}, { messages: undefined }), 1)).toBe("body.messages is required in a Batch API request line");
    expect(toRecord(batchLine({}, { messages: [{ role: "user", content: 1 }] }), 1)).toBe("body.messages[0].content must be a string or an array of content parts, got 1");
    expect(toRecord(batchLine({}, { temperature: "hot" }), 1)).toBe('body.temperature must be a number, got "hot"');
    expect(toRecord(batchLine({}, { max_completion_tokens: 0 }), 1)).toBe("body.max_completion_tokens must be a positive integer, got 0");
    expect(toRecord(batchLine({}, { response_format: { type: "xml" } }), 1)).toBe('body.response_format.type must be one of text, json_object, json_schema, got "xml"');
  });

  it("treats url and body without custom_id as ordinary fields", () => {
    expect(toRecord({ url: "https://example.com", body: "<html>" }, 2)).toEqual({
      id: "",
      line: 2,
      vars: { url: "https://example.com", body: "<html>" },
    });
  });
});

describe("toRecord: request bodies keep every key", () => {
  const messages = [{ role: "user", content: "Classify: great dress" }];

  it("reads a line with model and messages as a chat-completions body; id and metadata stay llmbatch's", () => {
    const line = { id: "r7", model: "gpt-4o", messages, temperature: 0, max_tokens: 5, logit_bias: { "1734": -100 }, metadata: { row_id: 7 } };
    expect(toRecord(line, 3)).toEqual({
      id: "r7",
      line: 3,
      vars: line,
      body: "chat",
      messages,
      model: "gpt-4o",
      params: { temperature: 0, max_tokens: 5, max_tokens_field: "max_tokens" },
      extra: { logit_bias: { "1734": -100 } },
      metadata: { row_id: 7 },
    });
  });

  it("sends metadata of a stored completion, and a plain record with only one of model and messages stays plain", () => {
    expect(toRecord({ model: "gpt-4o", messages, store: true, metadata: { k: "v" } }, 1)).toMatchObject({ extra: { store: true, metadata: { k: "v" } }, metadata: { k: "v" } });
    expect(toRecord({ messages, model_name: "x", category: "billing" }, 1)).not.toHaveProperty("body");
    expect(toRecord({ prompt: "p", model: "gpt-4o" }, 1)).not.toHaveProperty("body");
    // A body without a model still sends its parameters (the run's model applies).
    expect(toRecord({ messages, max_tokens: 9, tools: [] }, 1)).toMatchObject({ body: "chat", params: { max_tokens: 9 }, extra: { tools: [] } });
    expect(toRecord({ messages, max_tokens: 9 }, 1)).not.toHaveProperty("model");
  });

  it("passes every other Batch body key on, the second output cap included, and refuses streaming", () => {
    const rec = toRecord(batchLine({}, { n: 2, tools: [], user: "u-1", max_tokens: 9, stream: false, metadata: { a: "b" } }), 1);
    expect(rec).toMatchObject({ body: "batch", params: { n: 2, max_tokens: 50, max_tokens_field: "max_completion_tokens" }, metadata: { a: "b" } });
    expect((rec as { extra: unknown }).extra).toEqual({ tools: [], user: "u-1", max_tokens: 9, metadata: { a: "b" } });
    expect(toRecord(batchLine({}, { stream: true }), 1)).toBe("body.stream must be false or absent (llmbatch reads each reply whole), got true");
    expect(toRecord(batchLine({}, { n: 0 }), 1)).toBe("body.n must be a positive integer, got 0");
  });

  it("keeps message keys and content parts as they are, and checks the parts it reads", () => {
    const chat = [
      {
        role: "user",
        name: "ana",
        content: [
          { type: "text", text: "What is this?" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AA==", detail: "low" } },
          { type: "input_audio", input_audio: { data: "..", format: "wav" } },
        ],
      },
      { role: "assistant", tool_calls: [{ id: "call_1", type: "function", function: { name: "f", arguments: "{}" } }] },
      { role: "tool", tool_call_id: "call_1", content: "42" },
    ];
    const rec = toRecord({ id: "c", messages: chat }, 1) as { messages: unknown[] };
    expect(rec.messages).toEqual([chat[0], { ...chat[1], content: null }, chat[2]]);
    expect(rec.messages[0]).toBe(chat[0]);
    expect(toRecord({ messages: [{ role: "user", content: [{ type: "text" }] }] }, 1)).toBe("messages[0].content[0].text must be a string, got nothing");
    expect(toRecord({ messages: [{ role: "user", content: [{ type: "image_url", image_url: "x" }] }] }, 1)).toBe('messages[0].content[0].image_url must be an object with a string url, got "x"');
    expect(toRecord({ messages: [{ role: "user", content: ["hi"] }] }, 1)).toBe('messages[0].content[0] must be a content part {"type": …}, got "hi"');
    expect(toRecord({ messages: [{ role: "user", content: null }] }, 1)).toBe("messages[0].content must be a string or an array of content parts, got null");
  });
});

describe("toRecord: embeddings requests", () => {
  it("reads a line with model and input (no messages, no prompt) as an embeddings body; id and metadata stay llmbatch's", () => {
    const line = { id: "p1", model: "text-embedding-3-small", input: "Linen duvet cover", dimensions: 256, encoding_format: "float", user: "indexer", metadata: { sku: "DV-1" } };
    expect(toRecord(line, 4)).toEqual({
      id: "p1",
      line: 4,
      vars: line,
      body: "embeddings",
      model: "text-embedding-3-small",
      embedding: { input: "Linen duvet cover", dimensions: 256, encoding_format: "float" },
      extra: { user: "indexer" },
      metadata: { sku: "DV-1" },
    });
  });

  it("reads a Batch API line for /v1/embeddings, sending its whole body", () => {
    const line = { custom_id: "e-1", method: "POST", url: "/v1/embeddings", body: { model: "text-embedding-3-large", input: ["a", "b"], metadata: { k: "v" } } };
    expect(toRecord(line, 2)).toEqual({
      id: "e-1",
      line: 2,
      vars: line,
      body: "batch",
      model: "text-embedding-3-large",
      embedding: { input: ["a", "b"] },
      extra: { metadata: { k: "v" } },
      metadata: { k: "v" },
    });
    expect(toRecord({ ...line, body: { model: "text-embedding-3-large" } }, 2)).toBe("body.input is required in a Batch API request line for /v1/embeddings");
  });

  it("accepts every input shape of /v1/embeddings, and leaves emptiness to the server", () => {
    for (const input of ["text", ["a", "b"], [1734, 88], [[1734], [88, 9]], [], ""]) {
      expect(toRecord({ model: "text-embedding-3-small", input }, 1)).toMatchObject({ body: "embeddings", embedding: { input } });
    }
  });

  it("names the field and the value received", () => {
    const body = (over: Record<string, unknown>) => toRecord({ model: "text-embedding-3-small", input: "x", ...over }, 1);
    expect(body({ input: 42 })).toBe("input must be a string, a list of strings, or token ids (a list of integers, or a list of such lists), got 42");
    expect(body({ input: ["a", 1] })).toBe("input must be a string, a list of strings, or token ids (a list of integers, or a list of such lists), but input[1] is 1");
    expect(body({ input: [[1], [1.5]] })).toMatch(/but input\[1\] is an array/);
    expect(body({ model: 7 })).toBe("model must be a non-empty string, got 7");
    expect(body({ dimensions: 0 })).toBe("dimensions must be a positive integer, got 0");
    expect(body({ encoding_format: "binary" })).toBe('encoding_format must be one of float, base64, got "binary"');
    expect(body({ dimensions: null, encoding_format: null })).toMatchObject({ embedding: { input: "x" } });
  });

  it("leaves records with a prompt or messages, or without a model, as they were", () => {
    expect(toRecord({ input: "text only" }, 1)).toEqual({ id: "", line: 1, vars: { input: "text only" } });
    expect(toRecord({ model: "m", input: "x", prompt: "p" }, 1)).not.toHaveProperty("body");
    expect(toRecord({ model: "gpt-4o", input: "x", messages: [{ role: "user", content: "hi" }] }, 1)).toMatchObject({ body: "chat" });
  });
});
