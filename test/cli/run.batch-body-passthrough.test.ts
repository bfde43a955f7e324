/**
 * OpenAI Batch API input files with the fields real batches use (`n`, logprobs, penalties,
 * `logit_bias`, tools, `reasoning_effort`, `prediction`…): each body reaches the server as it is,
 * and what the reply holds beyond one text (all choices, tool calls, logprobs) reaches the output.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, useSimulator } from "../helpers/cli.js";
import { asSentToCompatibleServer } from "../helpers/sim-reply.js";

const FIXTURE = "test/fixtures/batch-api-full-body.jsonl";
const input = (): Record<string, any>[] => jsonLines(readFileSync(join(ROOT, FIXTURE), "utf8"));
const { sim, env } = useSimulator({ recordRequests: true, seed: 9 });

describe("run: Batch API bodies are passed through whole", () => {
  it("sends every body key as the file has it and writes choices, tool calls and logprobs to the output", async () => {
    sim().resetStats();
    const r = await runCli(["run", FIXTURE, "-q"], { env: env() });
    const lines = input();
    const out = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(out.size).toBe(lines.length);
    // The server received exactly the bodies of the file, key for key (max_tokens stays max_tokens;
    // max_completion_tokens goes as max_tokens to a server that is not api.openai.com).
    const sent = sim()
      .requests()
      .map((q) => q.body);
    expect(sent).toHaveLength(lines.length);
    for (const line of lines) expect(sent).toContainEqual(asSentToCompatibleServer(line.body));

    // n: 3 with logprobs: all three choices, the first one's logprobs, usage over every choice.
    const tagline = out.get("task-0")!;
    expect(tagline.ok).toBe(true);
    expect(tagline.choices.map((c: any) => c.index)).toEqual([0, 1, 2]);
    expect(tagline.output).toBe(tagline.choices[0].text);
    expect(new Set(tagline.choices.map((c: any) => c.text)).size).toBe(3);
    expect(tagline.logprobs).toEqual(tagline.choices[0].logprobs);
    for (const c of tagline.choices) {
      expect(c.logprobs.content.map((t: any) => t.token).join("")).toBe(c.text);
      for (const t of c.logprobs.content) expect(t.top_logprobs).toHaveLength(2);
    }
    // Each logprobs entry is one generated token, so the usage must count the tokens of all three.
    const tokens = tagline.choices.reduce((n: number, c: any) => n + c.logprobs.content.length, 0);
    expect(tagline.usage.output_tokens).toBe(tokens);
    expect(tokens).toBeGreaterThan(tagline.choices[0].logprobs.content.length);

    // tools + tool_choice: the call and its arguments, not an empty text.
    const weather = out.get("task-1")!;
    expect(weather.ok).toBe(true);
    expect(weather.finish_reason).toBe("tool_calls");
    expect(weather.tool_calls).toHaveLength(1);
    expect(weather.tool_calls[0]).toMatchObject({ type: "function", function: { name: "get_current_weather" } });
    expect(weather.tool_calls[0].id).toMatch(/^call_/);
    const args = JSON.parse(weather.tool_calls[0].function.arguments);
    expect(typeof args.city).toBe("string");
    expect(["celsius", "fahrenheit"]).toContain(args.unit);
    expect(weather.choices).toBeUndefined();

    expect(out.get("task-2")).toMatchObject({ ok: true, model: "gpt-5-nano" });
    expect(out.get("task-4")).toMatchObject({ ok: true, model: "gpt-4o-mini" });
    // The server is the judge: reasoning_effort on a model without reasoning is its 400, not dropped.
    expect(out.get("task-3")).toMatchObject({ ok: false, error: { type: "bad_request", status: 400, retriable: false } });
    expect(out.get("task-3")!.error.message).toContain("reasoning_effort");
    expect(r.code).toBe(1);
  });

  it("writes tool_calls, logprobs and choices after finish_reason and before steps", async () => {
    const r = await runCli(["run", FIXTURE, "-q", "--ordered"], { env: env() });
    const first = r.stdout.split("\n")[0]!;
    const at = (key: string) => first.indexOf(`"${key}":`);
    expect(at("finish_reason")).toBeGreaterThan(0);
    expect(at("finish_reason")).toBeLessThan(at("logprobs"));
    expect(at("logprobs")).toBeLessThan(at("choices"));
    expect(at("choices")).toBeLessThan(at("steps"));
  });

  it("estimates n choices as n times the output cap, as the TPM gate reserves", async () => {
    const r = await runCli(["estimate", FIXTURE, "--json"], { env: env() });
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout);
    expect(e.records).toBe(5);
    // task-0: n 3 × max_tokens 30; the others: one choice each, capped at 200, 400, 50 and 60.
    expect(e.output_tokens_max).toBe(3 * 30 + 200 + 400 + 50 + 60);
  });
});
