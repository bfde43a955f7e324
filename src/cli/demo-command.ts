import { fileURLToPath } from "node:url";
import { loadPipeline } from "../config/pipeline.js";
import { resolveRunOptions } from "../config/run-options.js";
import { runBatch } from "../run/batch.js";
import { startSimulator } from "../simulator/index.js";
import type { CliIO } from "./main.js";
import type { Logger } from "./logger.js";
import { formatSummary } from "./summary-table.js";

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));

/**
 * The README's first command: the sample tickets through the sample pipeline, against the bundled
 * simulator configured like a small OpenAI account (a tight RPM limit and a few server errors),
 * so the gates, the retries and the summary all have something to show.
 */
export async function demoCommand(io: CliIO, log: Logger): Promise<number> {
  const sim = await startSimulator({ rpm: 300, tpm: 60_000, latencyMs: [80, 400], faults: { server500: 0.05, overloaded503: 0.03 }, seed: 7, quiet: true });
  try {
    const input = root("samples/tickets.jsonl");
    const pipelineFile = root("pipelines/demo.yaml");
    log.info(`llmbatch demo: ${input} through ${pipelineFile}`);
    log.info(`against the bundled simulator at ${sim.url} (300 RPM, 60,000 TPM, 5% 500s, 3% 503s)\n`);
    const options = resolveRunOptions({}, await loadPipeline(pipelineFile));
    const { summary, exitCode } = await runBatch({
      input,
      stdout: io.stdout,
      options,
      connections: { openai: { apiKey: "sk-simulator", baseUrl: sim.openaiBaseUrl }, ollama: { host: sim.ollamaHost } },
      onWarning: (m) => log.warn(m),
    });
    if (log.level !== "quiet") {
      log.stream.write("\n");
      log.stream.write(formatSummary(summary, { color: log.color }));
      log.stream.write(`\nsimulator: ${sim.stats().requests} requests served, ${sim.stats().rateLimited} rate-limited (429)\n`);
    }
    return exitCode;
  } finally {
    await sim.close();
  }
}
