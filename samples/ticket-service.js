// @ts-check
/**
 * A library example: a service with two business methods built on `BaseLLMService`, against the
 * bundled simulator, so it needs no key. Plain JavaScript, so Node runs it as it is (Node 20 cannot
 * run a .ts file); its types are in the JSDoc here and in `ticket-service.d.ts` for TypeScript.
 *
 *     npm run build && node samples/ticket-service.js
 *
 * prints one JSON line per ticket on stdout ({ticket, route, summary}; null where a call failed)
 * and the run's cost on stderr. `import … from "llmbatch"` resolves to this package's own built `dist/` (a package
 * imports itself by name through its `exports`), hence the build first; in a project that
 * installed llmbatch, it resolves to the installed package. `test/service/sample.test.ts` runs it.
 *
 * Against OpenAI, pass `connections: { openai: { apiKey: process.env.OPENAI_API_KEY } }` instead.
 */
import { pathToFileURL } from "node:url";
import { BaseLLMService, collectResults, mapResult } from "llmbatch";
import { startSimulator } from "llmbatch/simulator";

const TRIAGE_SCHEMA = {
  type: "object",
  required: ["label", "urgent"],
  properties: { label: { enum: ["billing", "bug", "other"] }, urgent: { type: "boolean" } },
};

/** @typedef {{ label: "billing" | "bug" | "other"; urgent: boolean }} Triage */

export class TicketService extends BaseLLMService {
  /** @param {import("llmbatch").LLMServiceOptions} options */
  constructor(options) {
    super({ model: "gpt-4o-mini", params: { temperature: 0, max_tokens: 120 }, concurrency: 4, ...options });
  }

  /**
   * Structured output: the result's output is the validated JSON object, mapped to a queue name.
   * @param {string} ticket
   * @returns {Promise<import("llmbatch").GenerationResult>}
   */
  async route(ticket) {
    const triage = await this.generate({ name: "triage", prompt: `Classify this support ticket:\n${ticket}`, schema: TRIAGE_SCHEMA, repairAttempts: 2 });
    return mapResult(triage, (/** @type {Triage} */ t) => `${t.urgent ? "urgent" : "normal"}-${t.label}`);
  }

  /**
   * Free text: a one-sentence summary.
   * @param {string} ticket
   * @returns {Promise<import("llmbatch").GenerationResult>}
   */
  async summarize(ticket) {
    return this.generate({ name: "summary", system: "Answer in one sentence.", prompt: `Summarize this ticket:\n${ticket}` });
  }
}

/**
 * @param {string[]} [tickets]
 * @returns {Promise<import("./ticket-service.js").SampleRun>}
 */
export async function main(tickets = ["I was charged twice for March.", "Export to CSV fails with a 500.", "Please add three seats."]) {
  const sim = await startSimulator({ quiet: true, latencyMs: [5, 30] });
  /** @type {import("llmbatch").RunSummary | undefined} */
  let flushed;
  const service = new TicketService({
    connections: { openai: { apiKey: "sk-simulator", baseUrl: sim.openaiBaseUrl } },
    onClose: (s) => void (flushed = s),
  });
  try {
    // The calls run concurrently, paced by the service's own gates and concurrency limit.
    const routed = await Promise.all(tickets.map((t) => service.route(t)));
    const summarized = await Promise.all(tickets.map((t) => service.summarize(t)));
    const routes = await collectResults(routed);
    const summaries = await collectResults(summarized);
    await service.close();
    if (!flushed) throw new Error("the service closed without its summary");
    /** @param {import("llmbatch").GenerationResult | undefined} r */
    const text = (r) => (r?.ok ? String(r.output) : null);
    return {
      tickets: tickets.map((ticket, i) => ({ ticket, route: text(routed[i]), summary: text(summarized[i]) })),
      routes: routes.outputs.map((r) => ({ id: r.id, output: String(r.output) })),
      summaries: summaries.outputs.map((r) => ({ id: r.id, output: String(r.output) })),
      errors: routes.errors.length + summaries.errors.length,
      summary: flushed,
    };
  } finally {
    await service.close();
    await sim.close();
  }
}

// Run as a script (`node samples/ticket-service.js`), not when imported.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const run = await main();
  for (const row of run.tickets) process.stdout.write(`${JSON.stringify(row)}\n`);
  process.stderr.write(`${run.summary.records} calls, ${run.errors} failed, $${run.summary.cost_usd} (simulated)\n`);
  process.exitCode = run.errors === 0 ? 0 : 1;
}
