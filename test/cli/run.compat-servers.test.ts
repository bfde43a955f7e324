import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

// A local server that checks no key (llama.cpp's llama-server, vLLM, LM Studio by default), and one that does.
let open: SimulatorHandle;
let keyed: SimulatorHandle;
beforeAll(async () => {
  [open, keyed] = await Promise.all([startSimulator({ latencyMs: [5, 5] }), startSimulator({ apiKey: "sk-local-0000", latencyMs: [5, 5] })]);
});
afterAll(async () => {
  await Promise.all([open.close(), keyed.close()]);
});

describe("servers that are OpenAI-compatible but not OpenAI (issue 10)", () => {
  it("a prompt over the context is context_length in llama.cpp's, vLLM's and OpenAI's bodies alike, never retried", async () => {
    const dir = tempDir();
    const input = writeTemp(
      dir,
      "long.jsonl",
      jsonl([
        { id: "llama-server", prompt: "Summarise this transcript [[sim:context_length:llamacpp]]" },
        { id: "vllm", prompt: "Summarise this transcript [[sim:context_length:vllm]]" },
        { id: "openai", prompt: "Summarise this transcript [[sim:context_length]]" },
      ]),
    );
    const r = await runCli(["run", input, "--ordered", "--no-progress"], { env: { OPENAI_API_KEY: "sk-x", OPENAI_BASE_URL: open.openaiBaseUrl } });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => [l.id, l.error?.type, l.error?.status, l.error?.retriable, l.attempts])).toEqual([
      ["llama-server", "context_length", 400, false, 1],
      ["vllm", "context_length", 400, false, 1],
      ["openai", "context_length", 400, false, 1],
    ]);
    expect(lines[0]!.error.message).toContain("exceeds the available context size");
  });

  it("without OPENAI_API_KEY, a server other than api.openai.com is sent no key, and stderr says so once", async () => {
    const r = await runCli(["run", "samples/prompts.jsonl", "--no-progress"], { env: { OPENAI_BASE_URL: open.openaiBaseUrl } });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).every((l) => l.ok)).toBe(true);
    const said = r.stderr.split("\n").filter((l) => l.includes("no OPENAI_API_KEY"));
    expect(said).toEqual([`warning: no OPENAI_API_KEY: sending no key to ${open.openaiBaseUrl}`]);
  });

  it("no key means no Authorization header at all, not a placeholder: a server that wants one says none was given", async () => {
    keyed.resetStats();
    const r = await runCli(["run", "samples/prompts.jsonl", "-c", "1", "--no-progress"], { env: { OPENAI_BASE_URL: keyed.openaiBaseUrl } });
    expect(r.code).toBe(3);
    const failed = jsonLines(r.stdout).find((l) => l.error?.type === "auth");
    expect(failed?.error.message).toContain("You didn't provide an API key");
    expect(keyed.stats().requests).toBe(1);
  });

  it("an Ollama host ending in /v1 is refused before anything is sent, saying to drop it or use openai:", async () => {
    open.resetStats();
    const r = await runCli(["run", "samples/prompts.jsonl", "-m", "ollama:llama3.2", "--no-progress"], { env: { OLLAMA_HOST: `${open.ollamaHost}/v1` } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`the Ollama host ${open.ollamaHost}/v1 ends in /v1`);
    expect(r.stderr).toContain(`drop the /v1 (${open.ollamaHost}), or keep it and name the model openai:<model>`);
    expect(open.stats().requests).toBe(0);
  });
});
