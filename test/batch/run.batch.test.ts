/**
 * `run --batch` through the real binary and the official client against the simulator's Batch API:
 * the same records as a synchronous run at half the price, and the refusals that happen before
 * anything is uploaded.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, readJsonlFile, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ seed: 7 });

function records(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({ id: `r${i}`, prompt: `Summarize item ${i} in one line.` }));
}

describe("run --batch", () => {
  it("2,000 records in batches equal the synchronous run's records (outputs, usage) at half the cost", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(2000)));
    const syncOut = join(dir, "sync.jsonl");
    const batchOut = join(dir, "batch.jsonl");
    const sync = await runCli(["run", input, "-o", syncOut, "--max-tokens", "40", "--summary", join(dir, "sync.json"), "-q"], { env: env() });
    expect(sync.code, sync.stderr).toBe(0);
    sim().resetStats();
    const batch = await runCli(["run", input, "-o", batchOut, "--max-tokens", "40", "--batch", "--batch-size", "600", "--poll-interval", "0.1", "--summary", join(dir, "batch.json")], { env: env() });
    expect(batch.code, batch.stderr).toBe(0);

    const byId = (lines: Record<string, any>[]) => new Map(lines.map((l) => [l.id, l]));
    const s = byId(readJsonlFile(syncOut));
    const b = byId(readJsonlFile(batchOut));
    expect(b.size).toBe(2000);
    expect(readJsonlFile(batchOut)).toHaveLength(2000);
    let syncCost = 0;
    let batchCost = 0;
    for (const [id, line] of s) {
      const other = b.get(id)!;
      expect(other.ok).toBe(true);
      expect(other.output).toBe(line.output);
      expect(other.usage).toEqual(line.usage);
      expect(other.steps[0].batch.batch_id).toMatch(/^batch_/);
      expect(other.steps[0].batch.request_id).toMatch(/^batch_req_/);
      syncCost += line.cost_usd;
      batchCost += other.cost_usd;
    }
    expect(batchCost / syncCost).toBeCloseTo(0.5, 6);

    // 2,000 requests in chunks of at most 600: four batches, each request billed once, none synchronously.
    const stats = sim().stats();
    expect(stats.requests).toBe(0);
    expect(stats.batch.created).toHaveLength(4);
    expect(Object.values(stats.batch.billed).every((n) => n === 1)).toBe(true);
    expect(Object.keys(stats.batch.billed)).toHaveLength(2000);

    const summary = JSON.parse(await import("node:fs").then((fs) => fs.readFileSync(join(dir, "batch.json"), "utf8")));
    expect(summary.batch).toMatchObject({ batches: 4, requests: 2000, answered: 2000, unfinished: 0 });
    expect(summary.batch.saved_usd).toBeCloseTo(syncCost - batchCost, 6);
    expect(batch.stderr).toContain("batch prices saved");
    expect(batch.stderr).toMatch(/batch batch_\S+ \(chunk 0, gpt-4o-mini, 600 requests\): completed, 600\/600 done/);
  });

  it("refuses stdout (exit 2) before anything is uploaded", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(3)));
    sim().resetStats();
    const r = await runCli(["run", input, "--batch"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--batch needs -o <file>");
    expect(r.stdout).toBe("");
    expect(sim().stats().batch.filesUploaded).toBe(0);
  });

  it("refuses an -o that is a device (exit 2): the journal needs a regular file beside it", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(3)));
    sim().resetStats();
    const r = await runCli(["run", input, "--batch", "-o", "/dev/null"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--batch needs -o to be a regular file");
    expect(existsSync("/dev/null.batches.json")).toBe(false);
    expect(sim().stats().batch.filesUploaded).toBe(0);
  });

  it("refuses Ollama (exit 2): it has no Batch API", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(3)));
    const out = join(dir, "out.jsonl");
    const r = await runCli(["run", input, "--batch", "-m", "ollama:llama3.2", "-o", out], { env: { ...env(), OLLAMA_HOST: sim().ollamaHost } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('provider "ollama" has no Batch API');
    expect(existsSync(out)).toBe(false);
  });
});

describe("run --batch against a server without /v1/batches", () => {
  let plain: SimulatorHandle;
  beforeAll(async () => {
    plain = await startSimulator({ batch: { enabled: false } });
  });
  afterAll(() => plain.close());

  it("exits 2 saying so, with nothing uploaded or sent", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(records(3)));
    const r = await runCli(["run", input, "--batch", "-o", join(dir, "out.jsonl")], { env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: plain.openaiBaseUrl } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("offers no Batch API");
    expect(plain.stats().requests).toBe(0);
    expect(plain.stats().batch.filesUploaded).toBe(0);
  });
});
