import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";
import { join } from "node:path";

const INPUT = join(ROOT, "test/fixtures/endpoints/reviews.jsonl");

// A step on a "local" server (Ollama's native API here) and a step on a "remote" OpenAI-compatible
// one that checks its key: two simulators on two ports.
const local = useSimulator({ recordRequests: true });
const remote = useSimulator({ recordRequests: true, apiKey: "sk-remote-7f3a" });

function pipeline(dir: string): string {
  return writeTemp(
    dir,
    "two-endpoints.yaml",
    [
      "name: triage-two-endpoints",
      "endpoints:",
      "  local:",
      "    provider: ollama",
      `    base_url: ${local.sim().ollamaHost}`,
      "  remote:",
      `    base_url: ${remote.sim().openaiBaseUrl}`,
      "    api_key_env: REMOTE_LLM_KEY",
      "params: {max_tokens: 60}",
      "steps:",
      "  - id: gist",
      "    method: generate",
      "    model: local:llama3.2",
      "    prompt: 'One line, what is this review about? {{text}}'",
      "  - id: reply",
      "    method: generate",
      "    model: remote:gpt-4o-mini",
      "    prompt: 'Draft a short reply to a customer whose review is about: {{steps.gist.output}}'",
      "",
    ].join("\n"),
  );
}

describe("a pipeline with two named endpoints", () => {
  it("sends each step to its own endpoint, with that endpoint's key only", async () => {
    local.sim().resetStats();
    remote.sim().resetStats();
    // OPENAI_API_KEY is set and must not be what reaches either endpoint.
    const r = await runCli(["run", INPUT, "-p", pipeline(tempDir()), "--no-progress", "-q"], { env: { REMOTE_LLM_KEY: "sk-remote-7f3a", OPENAI_API_KEY: "sk-wrong-key" } });
    expect(r.stderr).not.toMatch(/key|error/i);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.id).sort()).toEqual(["r-101", "r-102", "r-103", "r-104"]);
    for (const l of lines) {
      expect(l.ok).toBe(true);
      expect(l.provider).toBe("remote");
      expect(l.steps.map((s: { id: string; model: string }) => [s.id, s.model])).toEqual([
        ["gist", "llama3.2"],
        ["reply", "gpt-4o-mini"],
      ]);
      // The local step is Ollama's: free, not unpriced.
      expect(l.steps[0].cost_usd).toBe(0);
    }
    const seen = (h: typeof local) =>
      h
        .sim()
        .requests()
        .map((q) => [q.path, (q.body as { model: string }).model]);
    expect(seen(local)).toEqual(Array(4).fill(["/api/chat", "llama3.2"]));
    expect(seen(remote)).toEqual(Array(4).fill(["/v1/chat/completions", "gpt-4o-mini"]));
  });

  it("refuses to start when an endpoint's api_key_env is not set (exit 2, nothing sent)", async () => {
    local.sim().resetStats();
    remote.sim().resetStats();
    const r = await runCli(["run", INPUT, "-p", pipeline(tempDir()), "--no-progress"], { env: { OPENAI_API_KEY: "sk-wrong-key" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('endpoint "remote": its api_key_env REMOTE_LLM_KEY is not set; export it');
    expect(local.sim().stats().requests + remote.sim().stats().requests).toBe(0);
  });

  it("is checked by validate: an unknown endpoint is named with the file, line and column, and the endpoints listed", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "typo.yaml",
      ["name: typo", "endpoints:", "  local:", "    base_url: http://127.0.0.1:8000/v1", "steps:", "  - id: a", "    method: generate", "    model: lcoal:llama3", "    prompt: '{{text}}'", ""].join(
        "\n",
      ),
    );
    const r = await runCli(["validate", file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:8:12: steps[0].model: model "lcoal:llama3" names "lcoal", which is neither an endpoint of the pipeline (local) nor a provider (openai, ollama)`);
  });

  it("estimates each step at its endpoint's kind: the Ollama endpoint's model is free, not unpriced", async () => {
    const r = await runCli(["estimate", INPUT, "-p", pipeline(tempDir()), "--json"]);
    expect(r.code).toBe(0);
    const estimate = JSON.parse(r.stdout);
    expect(estimate.unpriced_models).toEqual([]);
    expect(estimate.by_model["llama3.2"].cost_usd).toEqual({ expected: 0, max: 0 });
    expect(estimate.by_model["gpt-4o-mini"].cost_usd.max).toBeGreaterThan(0);
  });

  it("--simulate points the named endpoints at the simulator too: the pipeline's servers are not contacted", async () => {
    local.sim().resetStats();
    remote.sim().resetStats();
    const r = await runCli(["run", INPUT, "-p", pipeline(tempDir()), "--simulate", "--no-progress", "-q"]);
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).filter((l) => l.ok)).toHaveLength(4);
    expect(local.sim().stats().requests + remote.sim().stats().requests).toBe(0);
  });
});

describe("--provider with named endpoints", () => {
  function barePipeline(dir: string): string {
    return writeTemp(
      dir,
      "bare.yaml",
      [
        "name: bare-model",
        "endpoints:",
        "  remote:",
        `    base_url: ${remote.sim().openaiBaseUrl}`,
        "    api_key_env: REMOTE_LLM_KEY",
        "model: gpt-4o-mini",
        "params: {max_tokens: 30}",
        "steps:",
        "  - {id: gist, method: generate, prompt: 'Gist: {{text}}'}",
        "",
      ].join("\n"),
    );
  }

  it("names an endpoint: bare model names go there", async () => {
    remote.sim().resetStats();
    const r = await runCli(["run", INPUT, "-p", barePipeline(tempDir()), "--provider", "remote", "--no-progress", "-q"], { env: { REMOTE_LLM_KEY: "sk-remote-7f3a" } });
    expect(r.code, r.stderr).toBe(0);
    expect(jsonLines(r.stdout).map((l) => [l.ok, l.provider])).toEqual(Array(4).fill([true, "remote"]));
    expect(remote.sim().stats().requests).toBe(4);
  });

  it("refuses a name that is neither a provider nor an endpoint, listing both (exit 2, nothing sent)", async () => {
    remote.sim().resetStats();
    const r = await runCli(["run", INPUT, "-p", barePipeline(tempDir()), "--provider", "remot", "--no-progress"], { env: { REMOTE_LLM_KEY: "sk-remote-7f3a" } });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('--provider: "remot" is neither a provider nor an endpoint of the pipeline (expected one of "openai", "ollama", "remote")');
    expect(remote.sim().stats().requests).toBe(0);
  });
});
