/**
 * Request files in the format of OpenAI cookbook's `api_request_parallel_processor.py`: each line
 * is a whole chat-completions body plus a `metadata` object the script hands back with the result.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, useSimulator } from "../helpers/cli.js";
import { asSentToCompatibleServer } from "../helpers/sim-reply.js";

const FIXTURE = "test/fixtures/cookbook-requests.jsonl";
const inputLines = (): Record<string, any>[] => jsonLines(readFileSync(join(ROOT, FIXTURE), "utf8"));
const { sim, env } = useSimulator({ recordRequests: true, seed: 4 });

/** The body the simulator received for an input line (told apart by the review text). */
function sentFor(line: Record<string, any>): Record<string, any> {
  const text = line.messages.at(-1).content;
  const found = sim()
    .requests()
    .filter((r) => (r.body as any).messages.at(-1).content === text);
  expect(found).toHaveLength(1);
  return found[0]!.body as Record<string, any>;
}

describe("run: cookbook request lines are sent as the bodies they are", () => {
  it("sends each line's model and every parameter, keeps metadata out of the request and copies it into the result", async () => {
    sim().resetStats();
    const r = await runCli(["run", FIXTURE, "-q"], { env: env() });
    // The cookbook's own max_tokens of 5 cuts answers off, which -q still reports; nothing else is said.
    expect(r.stderr).toMatch(/^(warning: \d+ answers? (were|was) cut off at max_tokens[^\n]*\n)?$/);
    expect(r.code).toBe(0);
    const input = inputLines();
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(input.length);
    expect(sim().requests()).toHaveLength(input.length);

    for (const line of input) {
      const { metadata, ...request } = line;
      const sent = sentFor(line);
      // A stored completion sends its metadata (OpenAI takes it only with store: true); otherwise
      // metadata is the cookbook's join key, never sent.
      // The cap goes as max_tokens to a server that is not api.openai.com (the simulator).
      expect(sent).toEqual(asSentToCompatibleServer(line.store === true ? line : request));
      const result = out.find((o) => JSON.stringify(o.metadata) === JSON.stringify(metadata));
      expect(result, `a result carrying metadata ${JSON.stringify(metadata)}`).toBeDefined();
      expect(result!.ok).toBe(true);
      expect(result!.model).toBe(line.model);
      expect(result!.usage.output_tokens).toBeLessThanOrEqual(line.max_tokens ?? line.max_completion_tokens);
    }
  });

  it("writes metadata after finish_reason and before steps, as it was in the input", async () => {
    const r = await runCli(["run", FIXTURE, "-q", "--ordered"], { env: env() });
    expect(r.code).toBe(0);
    const first = r.stdout.split("\n")[0]!;
    expect(first.indexOf('"finish_reason"')).toBeLessThan(first.indexOf('"metadata":{"row_id":7}'));
    expect(first.indexOf('"metadata"')).toBeLessThan(first.indexOf('"steps"'));
  });
});
