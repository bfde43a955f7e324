/**
 * Messages whose content is an array of parts (what the OpenAI SDKs send and many exporters
 * write): accepted, sent to OpenAI unchanged, and counted by the estimate as the run counts them.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const FIXTURE = "test/fixtures/content-parts.jsonl";
const { sim, env } = useSimulator({ recordRequests: true, seed: 8 });

describe("run: content-part arrays", () => {
  it("sends text and image parts to OpenAI as the file has them", async () => {
    sim().resetStats();
    const r = await runCli(["run", FIXTURE, "-q"], { env: env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out.map((l) => l.id).sort()).toEqual(["conv-1", "conv-2", "conv-3"]);
    expect(out.every((l) => l.ok && typeof l.output === "string" && l.output !== "")).toBe(true);
    const sent = sim()
      .requests()
      .map((q) => (q.body as Record<string, unknown>).messages);
    for (const line of jsonLines(readFileSync(join(ROOT, FIXTURE), "utf8"))) expect(sent).toContainEqual(line.messages);
  });

  it("estimates the input tokens the run is charged: text parts counted, each image at the documented figure", async () => {
    const est = await runCli(["estimate", FIXTURE, "--json"], { env: env() });
    expect(est.code).toBe(0);
    const e = JSON.parse(est.stdout);
    expect(e.records).toBe(3);
    expect(e.invalid_records).toBe(0);

    const summary = join(tempDir(), "summary.json");
    const run = await runCli(["run", FIXTURE, "-q", "--summary", summary], { env: env() });
    expect(run.code).toBe(0);
    const s = JSON.parse(readFileSync(summary, "utf8"));
    // The simulator counts prompts with the estimator's rules, so the two agree exactly.
    expect(e.input_tokens).toBe(s.usage.input_tokens);
    // conv-2's image asks for low detail (85), conv-3's has no detail (765): far above their text.
    expect(e.input_tokens).toBeGreaterThan(85 + 765);
  });
});
