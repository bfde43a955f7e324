import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runBatch } from "../../src/run/batch.js";
import { resolveRunOptions } from "../../src/config/run-options.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator();
});
afterAll(() => sim.close());

/** Open TCP sockets of this process: the client's and, the simulator being in-process, the server's. */
const openSockets = () => process.getActiveResourcesInfo().filter((r) => r === "TCPSocketWrap").length;

describe("per-request timeouts", () => {
  it.each(["gpt-4o-mini", "ollama:llama3.2"])("abort hung requests (%s) and leave no socket behind", async (model) => {
    const dir = tempDir();
    const records = Array.from({ length: 12 }, (_, i) => ({ id: i, prompt: `hang once ${model} ${i} [[sim:fail:1:hang]]` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const before = openSockets();
    sim.resetStats();
    const { summary } = await runBatch({
      input,
      output: join(dir, "out.jsonl"),
      options: { ...resolveRunOptions({ model, concurrency: 2, timeoutSeconds: 0.2 }, undefined) },
      connections: { openai: { apiKey: "sk-test", baseUrl: sim.openaiBaseUrl }, ollama: { host: sim.ollamaHost } },
      retryTiming: { baseMs: 1, maxMs: 1 },
    });
    expect(summary).toMatchObject({ records: 12, ok: 12 });
    expect(summary.backoff.retries).toBe(12);
    expect(sim.stats().faults.hang).toBe(12);
    // Twelve hung connections, each open on both ends if leaked; a keep-alive pool of at most
    // `concurrency` connections (two ends each) is what may legitimately remain.
    await new Promise((r) => setTimeout(r, 50));
    expect(openSockets() - before).toBeLessThanOrEqual(2 * 2);
  });
});
