import { countTokens } from "gpt-tokenizer/encoding/o200k_base";
import { Ollama } from "ollama";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DEFAULT_MODELS, type SimulatorHandle, startSimulator } from "../../src/simulator/index.js";
import { postJson } from "./helpers.js";

interface OllamaResponseError {
  name: string;
  error: string;
  status_code: number;
}

function responseError(error: unknown): OllamaResponseError {
  expect(error).toMatchObject({ name: "ResponseError", status_code: expect.any(Number) });
  return error as OllamaResponseError;
}

const USER = [{ role: "user", content: "Why is the sky blue?" }];

describe("Ollama native API with the ollama client", () => {
  let sim: SimulatorHandle;
  let ollama: Ollama;
  beforeAll(async () => {
    // Restricted to the listed models, for the 404 test (by default any name is served).
    sim = await startSimulator({ quiet: true, models: [...DEFAULT_MODELS] });
    ollama = new Ollama({ host: sim.ollamaHost });
  });
  afterAll(() => sim.close());

  it("answers /api/chat in the §6.2 shape with nanosecond metrics", async () => {
    const response = await ollama.chat({ model: "llama3.2", messages: USER });
    expect(response).toMatchObject({
      model: "llama3.2",
      message: { role: "assistant", content: expect.any(String) },
      done: true,
      done_reason: "stop",
      // Same counting as the OpenAI route: 3 per message + role + content, + 3 reply priming.
      prompt_eval_count: 3 + 3 + countTokens("user") + countTokens("Why is the sky blue?"),
    });
    expect(String(response.created_at)).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(response.eval_count).toBe(countTokens(response.message.content));
    for (const key of ["total_duration", "load_duration", "prompt_eval_duration", "eval_duration"] as const) {
      expect(Number.isInteger(response[key]), key).toBe(true);
      expect(response[key], key).toBeGreaterThan(0);
    }
    expect(response.total_duration).toBeGreaterThanOrEqual(response.load_duration);
  });

  it("answers /api/generate with `response`, and honours num_predict with done_reason length", async () => {
    const response = await ollama.generate({ model: "qwen2.5:latest", prompt: "Count to ten.", options: { num_predict: 6 } });
    expect(response).toMatchObject({ model: "qwen2.5:latest", done: true, done_reason: "length", eval_count: 6 });
    expect(countTokens(response.response ?? "")).toBe(6);
  });

  it("streams NDJSON by default on the wire, as the server defaults stream to true", async () => {
    const raw = await fetch(`${sim.url}/api/chat`, { method: "POST", body: JSON.stringify({ model: "mistral", messages: USER }) });
    expect(raw.headers.get("content-type")).toBe("application/x-ndjson");
    const lines = (await raw.text())
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines.length).toBeGreaterThan(1);
    expect(lines.slice(0, -1).every((line) => line["done"] === false)).toBe(true);
    expect(lines.at(-1)).toMatchObject({ done: true, done_reason: "stop", eval_count: expect.any(Number) });

    let text = "";
    for await (const part of await ollama.chat({ model: "mistral", messages: USER, stream: true })) text += part.message.content;
    const whole = await ollama.chat({ model: "mistral", messages: USER });
    expect(text).toBe(whole.message.content);
  });

  it("returns JSON that conforms to a `format` schema", async () => {
    const format = { type: "object", properties: { age: { type: "integer" }, available: { type: "boolean" } }, required: ["age", "available"] };
    const response = await ollama.chat({ model: "llama3.1", messages: USER, format });
    const parsed = JSON.parse(response.message.content) as Record<string, unknown>;
    expect(Number.isInteger(parsed["age"])).toBe(true);
    expect(typeof parsed["available"]).toBe("boolean");
    const json = await ollama.generate({ model: "llama3.1", prompt: "json please", format: "json" });
    expect(JSON.parse(json.response ?? "")).toEqual(expect.any(Object));
  });

  it("answers an unknown model with 404 model 'x' not found", async () => {
    const error = responseError(await ollama.chat({ model: "llama9", messages: USER }).catch((e: unknown) => e));
    expect(error.status_code).toBe(404);
    expect(error.error).toBe("model 'llama9' not found");
  });

  it("answers a missing model with 400 and gin's JSON content type", async () => {
    const response = await postJson(`${sim.url}/api/chat`, { messages: USER });
    expect(response.status).toBe(400);
    expect(response.headers.get("content-type")).toBe("application/json; charset=utf-8");
    expect(response.json).toEqual({ error: "model is required" });
    expect(response.headers.get("x-ratelimit-limit-requests")).toBeNull();
  });

  it("answers [[sim:echo]] with the message itself, without its directives", async () => {
    const response = await ollama.chat({ model: "llama3.2", messages: [{ role: "user", content: "@support: refund? [[sim:echo]]" }] });
    expect(response.message.content).toBe("@support: refund?");
  });

  it("fails the first attempts on [[sim:fail:N]] with Ollama's error shape", async () => {
    const messages = [{ role: "user", content: "flaky [[sim:fail:1]]" }];
    const error = responseError(await ollama.chat({ model: "llama3.2", messages }).catch((e: unknown) => e));
    expect(error.status_code).toBe(500);
    await expect(ollama.chat({ model: "llama3.2", messages })).resolves.toMatchObject({ done: true });
    const busy = responseError(await ollama.chat({ model: "llama3.2", messages: [{ role: "user", content: "[[sim:fail:1:503]]" }] }).catch((e: unknown) => e));
    expect(busy).toMatchObject({ status_code: 503, error: "server busy, please try again.  maximum pending requests exceeded" });
  });

  it("lists models, version and the root banner", async () => {
    const tags = await ollama.list();
    const llama = tags.models.find((m) => m.name === "llama3.2:latest");
    expect(llama).toMatchObject({ model: "llama3.2:latest", details: { format: "gguf" } });
    expect(llama?.digest).toMatch(/^[0-9a-f]{64}$/);
    expect((await ollama.version()).version).toMatch(/^\d+\.\d+\.\d+$/);
    expect(await (await fetch(sim.url)).text()).toBe("Ollama is running");
  });
});

describe("Ollama scheduler queue", () => {
  async function waitForRequests(sim: SimulatorHandle, count: number): Promise<void> {
    while (sim.stats().requests < count) await new Promise((resolve) => setTimeout(resolve, 5));
    // The request is counted before its (tiny) body is read; let it reach the queue.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }

  it("answers 503 with the exact message when numParallel are busy and the queue is full", async () => {
    const sim = await startSimulator({ quiet: true, ollama: { numParallel: 1, maxQueue: 1 } });
    const ollama = new Ollama({ host: sim.ollamaHost });
    try {
      const slow = [{ role: "user", content: "slow [[sim:latency:600]]" }];
      const running = ollama.chat({ model: "llama3.2", messages: slow });
      const queued = ollama.chat({ model: "llama3.2", messages: slow });
      await waitForRequests(sim, 2);
      const error = responseError(await ollama.chat({ model: "llama3.2", messages: USER }).catch((e: unknown) => e));
      expect(error.status_code).toBe(503);
      expect(error.error).toBe("server busy, please try again.  maximum pending requests exceeded");
      await expect(Promise.all([running, queued])).resolves.toHaveLength(2);
      // The one that waited reports the wait inside load_duration.
      const [a, b] = await Promise.all([running, queued]);
      expect(Math.max(a.load_duration, b.load_duration)).toBeGreaterThan(Math.min(a.load_duration, b.load_duration));
      expect(sim.stats()).toMatchObject({ requests: 3, ok: 2, byStatus: { "200": 2, "503": 1 }, maxInFlight: 3 });
    } finally {
      await sim.close();
    }
  });

  it("lets a client that gives up leave the queue", async () => {
    const sim = await startSimulator({ quiet: true, ollama: { numParallel: 1, maxQueue: 1 } });
    const ollama = new Ollama({ host: sim.ollamaHost });
    try {
      const running = ollama.chat({ model: "llama3.2", messages: [{ role: "user", content: "slow [[sim:latency:600]]" }] });
      await waitForRequests(sim, 1);
      const abort = new AbortController();
      const gaveUp = fetch(`${sim.url}/api/chat`, {
        method: "POST",
        body: JSON.stringify({ model: "llama3.2", messages: USER, stream: false }),
        signal: abort.signal,
      }).catch((e: unknown) => e);
      await waitForRequests(sim, 2);
      abort.abort();
      await gaveUp;
      await new Promise((resolve) => setTimeout(resolve, 20));
      await expect(ollama.chat({ model: "llama3.2", messages: USER })).resolves.toMatchObject({ done: true });
      await running;
    } finally {
      await sim.close();
    }
  });

  it("queues the OpenAI-compatible path for local models too", async () => {
    const sim = await startSimulator({ quiet: true, ollama: { numParallel: 1, maxQueue: 0 } });
    try {
      const url = `${sim.openaiBaseUrl}/chat/completions`;
      const running = postJson(url, { model: "llama3.2", messages: [{ role: "user", content: "[[sim:latency:600]]" }] });
      await waitForRequests(sim, 1);
      const busy = await postJson(url, { model: "llama3.2", messages: USER });
      expect(busy.status).toBe(503);
      expect(busy.json).toEqual({
        error: { message: "server busy, please try again.  maximum pending requests exceeded", type: "api_error", param: null, code: null },
      });
      expect((await running).status).toBe(200);
    } finally {
      await sim.close();
    }
  });
});
