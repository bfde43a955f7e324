/**
 * A pipeline with several LLM steps runs in waves under `--batch`: every record's first LLM call in
 * one batch, the local steps, then the next LLM step's calls in the next batch, embeddings included.
 * The records equal those of the synchronous run.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, readJsonlFile, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ seed: 11 });

const PIPELINE = `name: waves
model: gpt-4o-mini
params: {temperature: 0, max_tokens: 30}
steps:
  - id: translate
    method: generate
    prompt: "Translate into English: {{text}}"
  - id: clean
    method: convert
    ops: [trim]
  - id: summary
    method: generate
    prompt: "Summarize: {{steps.clean.output}}"
  - id: vector
    method: embed
    model: text-embedding-3-small
    input: "{{steps.summary.output}}"
    dimensions: 8
    encoding_format: float
output: vector
`;

describe("run --batch with a three-step pipeline", () => {
  it("runs in waves: one batch per LLM step, each after the one before, equal to the synchronous run", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const pipeline = writeTemp(dir, "waves.yaml", PIPELINE);
    const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: 40 }, (_, i) => ({ id: `w${i}`, text: `Texte numéro ${i}` }))));
    const syncOut = join(dir, "sync.jsonl");
    const sync = await runCli(["run", input, "-p", pipeline, "-o", syncOut, "-q"], { env: env() });
    expect(sync.code, sync.stderr).toBe(0);
    sim().resetStats();
    const out = join(dir, "out.jsonl");
    const r = await runCli(["run", input, "-p", pipeline, "-o", out, "--batch", "--poll-interval", "0.05", "-q"], { env: env() });
    expect(r.code, r.stderr).toBe(0);

    const created = sim().stats().batch.created;
    expect(created.map((b) => b.endpoint)).toEqual(["/v1/chat/completions", "/v1/chat/completions", "/v1/embeddings"]);
    const batches = sim().batches();
    expect(batches.map((b) => b.request_counts?.total)).toEqual([40, 40, 40]);
    // Each wave was created only after the one before it had completed.
    for (let i = 1; i < batches.length; i++) expect(batches[i]!.created_at).toBeGreaterThanOrEqual(batches[i - 1]!.completed_at!);

    const s = new Map(readJsonlFile(syncOut).map((l) => [l.id, l]));
    for (const line of readJsonlFile(out)) {
      expect(line.ok).toBe(true);
      expect(line.output).toEqual(s.get(line.id)!.output);
      expect(line.usage).toEqual(s.get(line.id)!.usage);
      const ids = line.steps.filter((st: { batch?: unknown }) => st.batch).map((st: { batch: { batch_id: string } }) => st.batch.batch_id);
      expect(ids).toEqual(batches.map((b) => b.id));
    }
  });
});
