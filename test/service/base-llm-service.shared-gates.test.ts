import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { Quotas } from "../../src/gates/quotas.js";
import { runPipeline } from "../../src/run/run-pipeline.js";
import { BaseLLMService } from "../../src/service/base-llm-service.js";
import type { GenerationResult } from "../../src/types.js";
import { collect } from "../engine/fake-provider.js";
import { useSimulator } from "../helpers/cli.js";

class Replies extends BaseLLMService {
  draft(question: string) {
    return this.generate({ prompt: `Draft a short reply to: ${question}`, params: { max_tokens: 30 } });
  }
}

// The server allows 1,200 requests a minute for the model, enforced per second (20 a second).
const RPM = 1_200;
const { sim } = useSimulator({ quiet: true, rpm: RPM, latencyMs: [5, 15] });
const questions = (from: string) => Array.from({ length: 24 }, (_, i) => `${from} question ${i}: where is my order #${1000 + i}?`);

/**
 * A service and a pipeline run side by side, each free to send more than the server's second at
 * once (concurrency 32, 24 calls each), with no retries so a 429 stays visible as a failure.
 */
async function sideBySide(limits: { quotas: Quotas } | { rpm: number }): Promise<{ service: Replies; results: GenerationResult[] }> {
  const connections = { openai: { apiKey: "sk-test", baseUrl: sim().openaiBaseUrl } };
  const service = new Replies({ connections, concurrency: 32, maxRetries: 0, ...limits });
  sim().resetStats();
  const pipeline = { ...defaultPipeline(), model: "gpt-4o-mini", params: { max_tokens: 30 } };
  const [served, piped] = await Promise.all([
    Promise.all(questions("service").map((q) => service.draft(q))),
    collect(
      runPipeline(
        pipeline,
        questions("batch").map((prompt) => ({ prompt })),
        { connections, concurrency: 32, maxRetries: 0, ...limits },
      ),
    ),
  ]);
  await service.close();
  return { service, results: [...served, ...piped] };
}

describe("BaseLLMService and a pipeline run in one process", () => {
  it("share one set of quotas: together they stay within the server's limit, with no 429", async () => {
    const quotas = new Quotas({ limits: { rpm: RPM } });
    const { service, results } = await sideBySide({ quotas });
    expect(service.quotas).toBe(quotas);
    expect(quotas.list().map((q) => q.label)).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => r.error)).toEqual([]);
    const stats = sim().stats();
    expect(stats.requests).toBe(48);
    expect(stats.rateLimited).toBe(0);
  });

  it("with quotas of their own at the same limit, they exceed it together: the server answers 429", async () => {
    await sideBySide({ rpm: RPM });
    expect(sim().stats().rateLimited).toBeGreaterThan(0);
  });
});
