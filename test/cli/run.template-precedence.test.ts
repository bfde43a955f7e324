/**
 * The precedence rule between a line's own request and the run's settings: a request body keeps
 * its model and parameters (flags fill in only what it leaves unset); a step that renders its own
 * prompt never silently replaces a record's own conversation.
 */
import { describe, expect, it } from "vitest";
import { jsonl, jsonLines, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const COOKBOOK = "test/fixtures/cookbook-requests.jsonl";
const BATCH = "test/fixtures/batch-api-full-body.jsonl";
const { sim, env } = useSimulator({ recordRequests: true, seed: 6 });
const sentBodies = () =>
  sim()
    .requests()
    .map((q) => q.body as Record<string, any>);

describe("run: a line's own request against --template, -p, --model and parameter flags", () => {
  it("fails request-body lines under --template as invalid_input naming both, and sends nothing", async () => {
    sim().resetStats();
    for (const file of [COOKBOOK, BATCH]) {
      // Even a template that reads the line's messages: a request body is a request, not data.
      const r = await runCli(["run", file, "--template", "Reply to: {{messages}}", "-q"], { env: env() });
      expect(r.code).toBe(1);
      for (const line of jsonLines(r.stdout)) {
        expect(line).toMatchObject({ ok: false, error: { type: "invalid_input" } });
        expect(line.error.message).toMatch(/request .*with its own messages, model and parameters/);
        expect(line.error.message).toContain("--template");
      }
    }
    expect(sim().requests()).toHaveLength(0);
  });

  it("fails them under a pipeline file too, and --strict refuses the file up front (exit 2)", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(dir, "p.yaml", "name: summarize\nmodel: gpt-4o-mini\nsteps:\n  - id: summary\n    method: generate\n    prompt: 'Summarize: {{text}}'\n");
    const r = await runCli(["run", BATCH, "-p", pipeline, "-q"], { env: env() });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).every((l) => l.error?.type === "invalid_input" && l.error.message.includes('step "summary"'))).toBe(true);

    sim().resetStats();
    const strict = await runCli(["run", COOKBOOK, "--template", "Summarize: {{text}}", "--strict", "-q"], { env: env() });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("4 of 4 input records are bad");
    expect(strict.stderr).toContain("cookbook-requests.jsonl:1: the line is a chat-completions request body");
    expect(sim().requests()).toHaveLength(0);
  });

  it("fails a plain record's own messages under a template that ignores them, and lets the other records run", async () => {
    sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "mixed.jsonl",
      jsonl([
        { id: "fields", question: "What is the capital of France?" },
        { id: "conversation", question: "Anything?", messages: [{ role: "user", content: "Hello there" }] },
      ]),
    );
    const r = await runCli(["run", file, "--template", "Answer briefly: {{question}}", "-q"], { env: env() });
    expect(r.code).toBe(1);
    const out = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(out.get("fields")!.ok).toBe(true);
    expect(out.get("conversation")).toMatchObject({ ok: false, error: { type: "invalid_input", line: 2 } });
    expect(out.get("conversation")!.error.message).toContain('the record has its own "messages"');
    expect(sentBodies().map((b) => b.messages)).toEqual([[{ role: "user", content: "Answer briefly: What is the capital of France?" }]]);
  });

  it("lets a template that reads {{messages}} use them as data", async () => {
    sim().resetStats();
    const dir = tempDir();
    const messages = [{ role: "user", content: "My parcel is late" }];
    const file = writeTemp(dir, "chats.jsonl", jsonl([{ id: "c1", messages }]));
    const r = await runCli(["run", file, "--template", "Classify this chat: {{messages}}", "-q"], { env: env() });
    expect(r.code).toBe(0);
    expect(sentBodies()[0]!.messages).toEqual([{ role: "user", content: `Classify this chat: ${JSON.stringify(messages)}` }]);
  });

  it('reads {{messages[0].content}} and {{["messages"]}} as reading the messages: sent, and --strict passes', async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "chats.jsonl", jsonl([{ id: "c1", messages: [{ role: "user", content: "My parcel is late" }] }]));
    for (const template of ["Classify this message: {{messages[0].content}}", 'Classify this chat: {{["messages"]}}']) {
      sim().resetStats();
      const r = await runCli(["run", file, "--template", template, "--strict", "-q"], { env: env() });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      expect(sentBodies()).toHaveLength(1);
    }
    expect(sentBodies()[0]!.messages[0].content).toBe('Classify this chat: [{"role":"user","content":"My parcel is late"}]');
  });

  it("refuses a plain record with both prompt and messages as invalid_input naming both, and --strict lists it", async () => {
    sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "both.jsonl",
      jsonl([
        { id: "both", prompt: "Summarize the ticket", messages: [{ role: "user", content: "My parcel is late" }] },
        { id: "prompt-only", prompt: "Say hi" },
      ]),
    );
    const r = await runCli(["run", file, "-q"], { env: env() });
    expect(r.code).toBe(1);
    const out = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(out.get("prompt-only")!.ok).toBe(true);
    expect(out.get("both")).toMatchObject({ ok: false, error: { type: "invalid_input", line: 1 } });
    expect(out.get("both")!.error.message).toContain('the record has both "prompt" and "messages"');
    expect(sentBodies().map((b) => b.messages[0].content)).toEqual(["Say hi"]);

    sim().resetStats();
    const strict = await runCli(["run", file, "--strict", "-q"], { env: env() });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`${file}:1: the record has both "prompt" and "messages"`);
    expect(sentBodies()).toHaveLength(0);
  });

  it("keeps a line's own model over --model, saying so once on stderr", async () => {
    sim().resetStats();
    const r = await runCli(["run", COOKBOOK, "-m", "gpt-4o-mini", "-q"], { env: env() });
    expect(r.code).toBe(0);
    expect(
      sentBodies()
        .map((b) => b.model)
        .sort(),
    ).toEqual(["gpt-4.1-mini", "gpt-4o", "gpt-4o", "gpt-4o"]);
    expect(r.stderr.match(/names its own model/g)).toHaveLength(1);
    expect(r.stderr).toContain('"gpt-4o", which is sent instead of "gpt-4o-mini"');
    // Without --model there is nothing to disagree with: no warning.
    const quiet = await runCli(["run", COOKBOOK, "-q"], { env: env() });
    expect(quiet.stderr).not.toContain("names its own model");
  });

  it("keeps a line's own parameters over --temperature and --max-tokens, which fill in only what a line leaves unset", async () => {
    sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "batch.jsonl",
      jsonl([
        { custom_id: "own", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "own" }], temperature: 0, max_tokens: 7 } },
        { custom_id: "unset", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content: "unset" }] } },
      ]),
    );
    const r = await runCli(["run", file, "--temperature", "0.9", "--max-tokens", "20", "-q"], { env: env() });
    expect(r.code).toBe(0);
    const byText = new Map(sentBodies().map((b) => [b.messages[0].content, b]));
    expect(byText.get("own")).toMatchObject({ temperature: 0, max_tokens: 7 });
    expect(byText.get("unset")!.temperature).toBe(0.9);
    // The run's cap, in the field the provider picks for this base URL (not OpenAI's own host).
    expect(byText.get("unset")!.max_tokens).toBe(20);
  });
});
