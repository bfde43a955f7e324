/**
 * Answers cut off at max_tokens (`finish_reason: length`) are counted, shown and, with
 * `on_truncated`, failed or retried. The simulator cuts a reply deterministically when max_tokens
 * is below the length it planned for that content (20 to 120 tokens).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();
const PRODUCTS = join(ROOT, "test/fixtures/products.csv");
const PRODUCT_COUNT = 20;

function blurbPipeline(dir: string, opts: { top?: string; step?: string; maxTokens: number }): string {
  return writeTemp(
    dir,
    "blurbs.yaml",
    [
      "name: product-blurbs",
      "model: gpt-4o-mini",
      `params: {temperature: 0, max_tokens: ${opts.maxTokens}}`,
      ...(opts.top ? [`on_truncated: ${opts.top}`] : []),
      "steps:",
      "  - id: blurb",
      "    method: generate",
      '    prompt: "Write a shop description of {{name}} ({{category}}): {{notes}}"',
      ...(opts.step ? [`    on_truncated: ${opts.step}`] : []),
      "",
    ].join("\n"),
  );
}

async function run(args: string[]) {
  const dir = tempDir();
  const summaryPath = join(dir, "summary.json");
  simulator.sim().resetStats();
  const r = await runCli(["run", ...args, "--summary", summaryPath, "--no-progress"], { env: simulator.env() });
  return { r, dir, summary: JSON.parse(readFileSync(summaryPath, "utf8")), requests: simulator.sim().stats().requests };
}

describe("truncated answers", () => {
  it("translate-summarize: cut-off summaries are counted in the summary and on stderr, with finish_reason on each step", async () => {
    const { r, summary } = await run(["samples/tickets.jsonl", "-p", "pipelines/translate-summarize.yaml", "--rpm", "100000", "--tpm", "100000000"]);
    expect(r.code).toBe(0); // on_truncated defaults to accept: nothing breaks
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(36);
    const cut = lines.filter((l) => l.steps.find((s: { id: string }) => s.id === "summary").finish_reason === "length");
    expect(cut.length).toBeGreaterThan(0);
    expect(cut.length).toBeLessThan(36);
    for (const l of lines) expect(l.steps.find((s: { id: string }) => s.id === "translate").finish_reason).toBe("stop");
    for (const l of cut) expect(l.finish_reason).toBe("length");
    expect(summary.truncated).toBe(cut.length);
    expect(summary.truncated_by_step).toEqual({ summary: cut.length });
    expect(r.stderr).toContain(`${cut.length} answers were cut off at max_tokens (finish_reason: length); raise max_tokens`);
    expect(r.stderr).toMatch(new RegExp(`truncated\\s+${cut.length} answers cut off at max_tokens`));
  }, 60_000);

  it("CSV output has a finish_reason column right after output", async () => {
    const dir = tempDir();
    const out = join(dir, "out.csv");
    const { r } = await run([PRODUCTS, "-p", blurbPipeline(dir, { maxTokens: 60 }), "-o", out, "--ordered"]);
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(text.split("\r\n")[0]).toBe("id,ok,output,finish_reason,error_type,error_message,input_tokens,output_tokens,cached_tokens,cost_usd,attempts,latency_ms");
    const rows: Record<string, unknown>[] = [];
    for await (const item of readCsv(Readable.from([text]))) if (item.kind === "record") rows.push(item.record.vars);
    expect(rows).toHaveLength(PRODUCT_COUNT);
    const reasons = rows.map((row) => row.finish_reason);
    expect(new Set(reasons)).toEqual(new Set(["stop", "length"]));
  });

  it("on_truncated: fail (on the step) fails each cut-off answer with invalid_response, code truncated; its tokens are still billed", async () => {
    const dir = tempDir();
    const { r, summary, requests } = await run([PRODUCTS, "-p", blurbPipeline(dir, { step: "fail", maxTokens: 60 })]);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    const failed = lines.filter((l) => !l.ok);
    expect(failed.length).toBeGreaterThan(0);
    for (const l of failed) {
      expect(l.error).toMatchObject({ type: "invalid_response", code: "truncated", retriable: false });
      expect(l.error.message).toContain('step "blurb": the reply was cut off at max_tokens 60 (finish_reason: length)');
      expect(l.attempts).toBe(1);
      expect(l.finish_reason).toBe("length");
      expect(l.usage.output_tokens).toBe(60);
      expect(l.cost_usd).toBeGreaterThan(0);
    }
    expect(requests).toBe(PRODUCT_COUNT); // not retried
    expect(summary.truncated).toBe(failed.length);
    expect(summary.errors_by_type).toEqual({ invalid_response: failed.length });
  });

  it("on_truncated: retry (top level) asks once more with max_tokens doubled: the answers cut at 60 come back whole at 120", async () => {
    const dir = tempDir();
    const accepted = await run([PRODUCTS, "-p", blurbPipeline(dir, { maxTokens: 60 })]);
    const cutIds = jsonLines(accepted.r.stdout)
      .filter((l) => l.finish_reason === "length")
      .map((l) => l.id)
      .sort();
    expect(cutIds.length).toBeGreaterThan(0);

    const { r, summary, requests } = await run([PRODUCTS, "-p", blurbPipeline(dir, { top: "retry", maxTokens: 60 })]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(
      lines
        .filter((l) => l.attempts === 2)
        .map((l) => l.id)
        .sort(),
    ).toEqual(cutIds);
    for (const l of lines) expect(l.finish_reason).toBe("stop");
    expect(requests).toBe(PRODUCT_COUNT + cutIds.length);
    expect(summary.truncated).toBe(0);
    expect(summary.attempts).toBe(PRODUCT_COUNT + cutIds.length);
    // Both calls are billed: a retried record carries the first call's 60 output tokens too.
    for (const l of lines.filter((x) => x.attempts === 2)) expect(l.usage.output_tokens).toBeGreaterThan(60);
  });

  it("on_truncated: retry fails the step when the doubled limit cuts it again; the step's own value wins over the top level", async () => {
    const dir = tempDir();
    const { r, summary } = await run([PRODUCTS, "-p", blurbPipeline(dir, { top: "accept", step: "retry", maxTokens: 8 })]);
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.every((l) => !l.ok && l.attempts === 2)).toBe(true); // every planned reply is over 16 tokens
    expect(lines[0]!.error.message).toContain("cut off at max_tokens 16 (finish_reason: length), also after one retry with max_tokens doubled");
    expect(lines.every((l) => l.usage.output_tokens === 8 + 16)).toBe(true);
    expect(summary.truncated).toBe(PRODUCT_COUNT);
  });

  it("an unknown on_truncated value is a config error with file:line:column, at the top level and on a step; nothing is sent", async () => {
    const dir = tempDir();
    const pipeline = blurbPipeline(dir, { top: "sometimes", step: "retyr", maxTokens: 60 });
    const { sim } = simulator;
    sim().resetStats();
    const r = await runCli(["run", PRODUCTS, "-p", pipeline], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${pipeline}:4:15`);
    expect(r.stderr).toContain('on_truncated must be one of: accept, fail, retry, got "sometimes"');
    expect(r.stderr).toContain(`${pipeline}:9:19`);
    expect(r.stderr).toMatch(/steps\[0\]\.on_truncated must be one of: accept, fail, retry, got "retyr" \(did you mean "retry"\?\)/);
    expect(sim().stats().requests).toBe(0);
    const v = await runCli(["validate", pipeline]);
    expect(v.code).toBe(2);
    expect(v.stderr).toContain("on_truncated must be one of");
  });
});
