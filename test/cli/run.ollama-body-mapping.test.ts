/**
 * A Batch API file run on Ollama: what has an Ollama equivalent is mapped onto `/api/chat`
 * (options, tools, logprobs, images), and a line asking for what Ollama cannot do fails with a
 * `bad_request` naming the field, without being sent.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, useSimulator } from "../helpers/cli.js";

const FIXTURE = "test/fixtures/ollama-batch-body.jsonl";
const { sim } = useSimulator({ recordRequests: true, seed: 2 });

describe("run on Ollama: a request body mapped field by field", () => {
  it("maps penalties, seed, stop, top_p, max_tokens, tools, logprobs and base64 images, and refuses n, logit_bias, user and image URLs by name", async () => {
    sim().resetStats();
    const r = await runCli(["run", FIXTURE, "-m", "ollama:llama3.2", "-q"], { env: { OLLAMA_HOST: sim().ollamaHost } });
    expect(r.code).toBe(1);
    const out = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));
    const input = new Map(jsonLines(readFileSync(join(ROOT, FIXTURE), "utf8")).map((l) => [l.custom_id, l.body]));
    const received = sim().requests();
    expect(received.every((q) => q.path === "/api/chat")).toBe(true);
    const bodyFor = (text: string) => received.map((q) => q.body as Record<string, any>).find((b) => b.messages[0].content === text);

    const sampled = bodyFor("Suggest a name for a bakery.")!;
    expect(sampled.options).toEqual({ presence_penalty: 0.5, frequency_penalty: 0.2, seed: 7, stop: ["\n\n"], top_p: 0.8, temperature: 0.3, num_predict: 40 });
    expect(sampled).toMatchObject({ model: "llama3.2", logprobs: true, top_logprobs: 2, stream: false });
    const ol0 = out.get("ol-0")!;
    expect(ol0.ok).toBe(true);
    expect(ol0.logprobs.content.length).toBe(ol0.usage.output_tokens);
    expect(ol0.logprobs.content[0].top_logprobs).toHaveLength(2);

    const weather = bodyFor("What's the weather like in Paris today?")!;
    expect(weather.tools).toEqual(input.get("ol-1").tools);
    const ol1 = out.get("ol-1")!;
    expect(ol1).toMatchObject({ ok: true, finish_reason: "tool_calls", tool_calls: [{ type: "function", function: { name: "get_current_weather" } }] });
    expect(Object.keys(JSON.parse(ol1.tool_calls[0].function.arguments)).sort()).toEqual(["city", "unit"]);

    const image = bodyFor("What is shown here?")!;
    const dataUrl: string = input.get("ol-4").messages[0].content[1].image_url.url;
    expect(image.messages).toEqual([{ role: "user", content: "What is shown here?", images: [dataUrl.split(",")[1]] }]);
    expect(out.get("ol-4")!.ok).toBe(true);

    // Not sent at all: no attempt, no request on the server.
    expect(received).toHaveLength(3);
    for (const [id, named] of [
      ["ol-2", "n: 2"],
      ["ol-3", 'logit_bias: {"1734":-100}, user: "user-4821"'],
      ["ol-5", "image_url.url"],
    ] as const) {
      const line = out.get(id)!;
      expect(line).toMatchObject({ ok: false, attempts: 0, error: { type: "bad_request", retriable: false } });
      expect(line.error.message).toContain(named);
    }
    expect(out.get("ol-3")!.error.message).toContain("Ollama has no equivalent of");
  });
});
