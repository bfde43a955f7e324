/**
 * `--strict` and `estimate` ask the provider's own check too: a line Ollama has no equivalent for
 * (`user`, `n: 2`) is refused before anything is sent (exit 2), and is no call in the estimate.
 */
import { describe, expect, it } from "vitest";
import { runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim } = useSimulator({ recordRequests: true, seed: 3 });

const LINES = [
  '{"custom_id": "q-1", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "llama3.2", "messages": [{"role": "user", "content": "Name a river in Spain."}], "max_tokens": 20}}',
  '{"custom_id": "q-2", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "llama3.2", "messages": [{"role": "user", "content": "Name a river in France."}], "max_tokens": 20, "user": "user-4821"}}',
  '{"custom_id": "q-3", "method": "POST", "url": "/v1/chat/completions", "body": {"model": "llama3.2", "messages": [{"role": "user", "content": "Name a river in Italy."}], "max_tokens": 20, "n": 2}}',
];

describe("--strict and estimate with the provider's check", () => {
  it("--strict on Ollama refuses lines the provider cannot send, naming file:line and the field; nothing is sent", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "batch.jsonl", `${LINES.join("\n")}\n`);
    sim().resetStats();
    const r = await runCli(["run", input, "--provider", "ollama", "--strict", "--no-progress"], { env: { OLLAMA_HOST: sim().ollamaHost } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--strict: 2 of 3 input records are bad; nothing was sent");
    expect(r.stderr).toContain(`${input}:2: Ollama has no equivalent of user: "user-4821"`);
    expect(r.stderr).toContain(`${input}:3: Ollama has no equivalent of n: 2`);
    expect(sim().requests()).toHaveLength(0);
  });

  it("--strict on OpenAI lets the same lines through (the server is the judge there): all are sent", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "batch.jsonl", `${LINES.join("\n")}\n`);
    sim().resetStats();
    const r = await runCli(["run", input, "--strict", "-q"], { env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim().openaiBaseUrl } });
    expect(r.code).not.toBe(2);
    expect(sim().requests()).toHaveLength(3);
  });

  it("estimate on Ollama counts the refused lines as invalid, not as calls", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "batch.jsonl", `${LINES.join("\n")}\n`);
    const r = await runCli(["estimate", input, "--provider", "ollama", "--json"]);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e).toMatchObject({ records: 1, invalid_records: 2, calls: 1, output_tokens_max: 20 });
  });

  it("estimate for OpenAI without OPENAI_API_KEY still works (the check needs no key)", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "batch.jsonl", `${LINES.join("\n")}\n`);
    const r = await runCli(["estimate", input, "--json"]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ records: 3, invalid_records: 0, calls: 3 });
  });
});
