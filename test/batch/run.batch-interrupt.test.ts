/**
 * Ctrl-C while batches run: the run exits 130 at once, leaves the batches running at the provider
 * and says how to collect or cancel them; `--resume` then collects them without creating any again.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, okCountById, readJsonlFile, runCli, startCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const { sim, env } = useSimulator({ seed: 2, batch: { validatingMs: 50, linesPerSecond: 60 } });

describe("run --batch: Ctrl-C while polling", () => {
  it("exits 130 leaving the batch running, says how to collect it; --resume collects it", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: 60 }, (_, i) => ({ id: `i${i}`, prompt: `Number ${i}` }))));
    const out = join(dir, "out.jsonl");
    const args = ["run", input, "-o", out, "--batch", "--poll-interval", "0.05", "--max-tokens", "20", "--no-progress"];
    const run = startCli(args, { env: env() });
    const deadline = Date.now() + 20_000;
    for (;;) {
      let id: string | undefined;
      try {
        id = JSON.parse(readFileSync(`${out}.batches.json`, "utf8")).chunks[0]?.batch_id;
      } catch {}
      if (id !== undefined || Date.now() > deadline) break;
      await new Promise((res) => setTimeout(res, 10));
    }
    run.child.kill("SIGINT");
    const r = await run.done;
    expect(r.code, r.stderr).toBe(130);
    expect(r.stderr).toContain("still running at the provider");
    expect(r.stderr).toContain(`llmbatch batches cancel ${out}`);
    expect(sim().batches()[0]!.status).not.toBe("cancelled");

    const resumed = await runCli([...args, "--resume"], { env: env() });
    expect(resumed.code, resumed.stderr).toBe(0);
    const ok = okCountById(readJsonlFile(out));
    expect(ok.size).toBe(60);
    expect([...ok.values()].every((n) => n === 1)).toBe(true);
    expect(sim().stats().batch.created).toHaveLength(1);
    expect(Object.values(sim().stats().batch.billed).every((n) => n === 1)).toBe(true);
  });
});
