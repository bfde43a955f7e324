/**
 * Crash safety of `--batch`: kill -9 after the upload, after a create whose response was dropped,
 * and while polling; then `--resume`. The simulator must have created each chunk exactly once and
 * billed each request once, and the results file must hold exactly one line per record.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, okCountById, readJsonlFile, runCli, startCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

// Slow enough that a batch is still running when the process is killed.
const { sim, env } = useSimulator({ seed: 3, batch: { validatingMs: 300, linesPerSecond: 400 } });

const N = 300;

function input(dir: string): string {
  return writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: N }, (_, i) => ({ id: `k${i}`, prompt: `Tell me about ${i}` }))));
}

function journal(out: string): { chunks: { state: string; file_id?: string; batch_id?: string }[] } | undefined {
  try {
    return JSON.parse(readFileSync(`${out}.batches.json`, "utf8"));
  } catch {
    return undefined;
  }
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const ARGS = ["--batch", "--batch-size", "100", "--poll-interval", "0.05", "--max-tokens", "20", "-q"];

async function killThenResume(dir: string, killWhen: () => boolean, what: string): Promise<{ out: string; resumed: Awaited<ReturnType<typeof runCli>> }> {
  const out = join(dir, "out.jsonl");
  const inFile = input(dir);
  const run = startCli(["run", inFile, "-o", out, ...ARGS], { env: env() });
  await until(what, killWhen);
  run.child.kill("SIGKILL");
  await run.done;
  const resumed = await runCli(["run", inFile, "-o", out, ...ARGS, "--resume"], { env: env() });
  return { out, resumed };
}

function expectNothingTwice(out: string): void {
  const lines = readJsonlFile(out);
  const ok = okCountById(lines);
  expect(lines).toHaveLength(N);
  expect(ok.size).toBe(N);
  expect([...ok.values()].every((n) => n === 1)).toBe(true);
  const stats = sim().stats().batch;
  // Each chunk created once: no two batches of the same input file contents.
  const hashes = stats.created.map((b) => b.inputSha256);
  expect(new Set(hashes).size).toBe(hashes.length);
  expect(stats.created).toHaveLength(N / 100);
  // Each request billed once.
  expect(Object.keys(stats.billed)).toHaveLength(N);
  expect(Object.values(stats.billed).every((n) => n === 1)).toBe(true);
}

describe("run --batch: kill -9, then --resume", () => {
  it("after the upload", { timeout: 60_000 }, async () => {
    sim().resetStats();
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    let uploaded: string[] = [];
    const { resumed } = await killThenResume(
      dir,
      () => {
        uploaded = (journal(out)?.chunks ?? []).flatMap((c) => (c.file_id === undefined ? [] : [c.file_id]));
        return uploaded.length >= 1;
      },
      "a file id in the journal",
    );
    expect(resumed.code, resumed.stderr).toBe(0);
    expectNothingTwice(out);
    // A file the journal knew of is used, not uploaded again: each became the input of exactly one batch.
    const inputs = sim()
      .stats()
      .batch.created.map((b) => b.inputFileId);
    for (const id of uploaded) expect(inputs.filter((f) => f === id)).toHaveLength(1);
  });

  it("after a create whose response was dropped (the batch exists, its id was never heard)", { timeout: 60_000 }, async () => {
    sim().resetStats();
    sim().dropNext("create", 1);
    const { out, resumed } = await killThenResume(tempDir(), () => sim().stats().batch.createsDropped >= 1, "the dropped create");
    expect(resumed.code, resumed.stderr).toBe(0);
    expectNothingTwice(out);
  });

  it("while polling (every batch created and journaled, none finished)", { timeout: 60_000 }, async () => {
    sim().resetStats();
    let out = "";
    const dir = tempDir();
    out = join(dir, "out.jsonl");
    const { resumed } = await killThenResume(dir, () => (journal(out)?.chunks ?? []).filter((c) => c.batch_id !== undefined).length >= N / 100, "every batch id in the journal");
    expect(resumed.code, resumed.stderr).toBe(0);
    expectNothingTwice(out);
    expect(sim().stats().batch.filesUploaded).toBe(N / 100);
  });

  it("a create whose response was dropped is reconciled in the same run, not created again", { timeout: 60_000 }, async () => {
    sim().resetStats();
    sim().dropNext("create", 2);
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    const r = await runCli(["run", input(dir), "-o", out, ...ARGS.filter((a) => a !== "-q")], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("looking for it among the batches");
    expectNothingTwice(out);
  });
});
