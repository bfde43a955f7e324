import { spawn } from "node:child_process";
import OpenAI from "openai";
import { Ollama } from "ollama";
import { describe, expect, it } from "vitest";
import { startSimulator } from "../../src/simulator/index.js";
import { BIN, jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

describe("the simulator serves any model name unless told which", () => {
  it("answers gpt-3.5-turbo-0125 (the model of most public Batch examples) and a vLLM-style name, by default", async () => {
    const sim = await startSimulator({ quiet: true });
    try {
      const client = new OpenAI({ apiKey: "sk-test", baseURL: sim.openaiBaseUrl, maxRetries: 0 });
      for (const model of ["gpt-3.5-turbo-0125", "meta-llama/Llama-3.1-8B-Instruct"]) {
        const r = await client.chat.completions.create({ model, messages: [{ role: "user", content: "Say hello." }], max_tokens: 10 });
        expect(r.model).toBe(model);
        expect(r.choices[0]?.message.content).toBeTruthy();
      }
      const ollama = new Ollama({ host: sim.ollamaHost });
      const chat = await ollama.chat({ model: "qwen3:8b", messages: [{ role: "user", content: "Say hello." }] });
      expect(chat.model).toBe("qwen3:8b");
    } finally {
      await sim.close();
    }
  });

  it("with models: only those names (and their snapshots and tags); any other is 404 model_not_found", async () => {
    const sim = await startSimulator({ quiet: true, models: ["gpt-4o-mini", "llama3.2"] });
    try {
      const client = new OpenAI({ apiKey: "sk-test", baseURL: sim.openaiBaseUrl, maxRetries: 0 });
      const ok = await client.chat.completions.create({ model: "gpt-4o-mini-2024-07-18", messages: [{ role: "user", content: "hi" }], max_tokens: 5 });
      expect(ok.model).toBe("gpt-4o-mini-2024-07-18");
      const err = await client.chat.completions.create({ model: "gpt-3.5-turbo-0125", messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(OpenAI.NotFoundError);
      expect((err as InstanceType<typeof OpenAI.NotFoundError>).code).toBe("model_not_found");
      const list = await client.models.list();
      expect(list.data.map((m) => m.id)).toEqual(["gpt-4o-mini", "llama3.2"]);
      const ollama = new Ollama({ host: sim.ollamaHost });
      await expect(ollama.chat({ model: "llama3.2:latest", messages: [{ role: "user", content: "hi" }] })).resolves.toMatchObject({ done: true });
      await expect(ollama.chat({ model: "qwen3:8b", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status_code: 404 });
    } finally {
      await sim.close();
    }
  });

  it("a Batch API file naming gpt-3.5-turbo-0125 runs through the binary against the simulator (unpriced: null cost)", async () => {
    const sim = await startSimulator({ quiet: true });
    try {
      const dir = tempDir();
      const line = (id: string, text: string) => ({
        custom_id: id,
        method: "POST",
        url: "/v1/chat/completions",
        body: {
          model: "gpt-3.5-turbo-0125",
          messages: [
            { role: "system", content: "You are a helpful assistant." },
            { role: "user", content: text },
          ],
          max_tokens: 100,
        },
      });
      const input = writeTemp(dir, "batchinput.jsonl", jsonl([line("request-1", "Hello world!"), line("request-2", "Tell me a joke.")]));
      const r = await runCli(["run", input, "--no-progress"], { env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim.openaiBaseUrl } });
      const lines = jsonLines(r.stdout);
      expect(lines.map((l) => [l.id, l.ok, l.model])).toEqual(
        expect.arrayContaining([
          ["request-1", true, "gpt-3.5-turbo-0125"],
          ["request-2", true, "gpt-3.5-turbo-0125"],
        ]),
      );
      expect(lines.every((l) => l.cost_usd === null)).toBe(true);
      expect(r.stderr).toContain('no price known for model "gpt-3.5-turbo-0125"');
      expect(r.code).toBe(0);
    } finally {
      await sim.close();
    }
  });

  it("llmbatch simulate --models a,b restricts the served models", async () => {
    const child = spawn(process.execPath, [BIN, "simulate", "--models", "gpt-4o-mini, llama3.2"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    try {
      const url = await new Promise<string>((resolve, reject) => {
        child.stdout.setEncoding("utf8").on("data", (d: string) => resolve(d.trim().split("\n")[0]!));
        child.on("error", reject);
      });
      const client = new OpenAI({ apiKey: "sk-test", baseURL: `${url}/v1`, maxRetries: 0 });
      await expect(client.chat.completions.create({ model: "gpt-4o-mini", messages: [{ role: "user", content: "hi" }], max_tokens: 5 })).resolves.toMatchObject({ object: "chat.completion" });
      await expect(client.chat.completions.create({ model: "gpt-3.5-turbo-0125", messages: [{ role: "user", content: "hi" }] })).rejects.toMatchObject({ status: 404, code: "model_not_found" });
    } finally {
      const code = await new Promise<number | null>((resolve) => {
        child.on("close", resolve);
        child.kill("SIGINT");
      });
      expect(code).toBe(0);
    }
    expect(stderr).toContain("models: only gpt-4o-mini, llama3.2");
    const bad = await runCli(["simulate", "--models", "a,,b"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--models must be a comma-separated list");
  });
});
