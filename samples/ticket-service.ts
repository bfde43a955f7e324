/**
 * A library example: a service with two business methods built on `BaseLLMService`. It runs
 * against the bundled simulator, so it needs no key. `test/service/sample.test.ts` runs `main()`;
 * `import … from "llmbatch"` resolves to this package's own built `dist/` (package self-reference
 * through `exports`), so run `npm run build` first.
 *
 * Against OpenAI, pass `connections: { openai: { apiKey: process.env.OPENAI_API_KEY } }` instead.
 */
import { BaseLLMService, collectResults, mapResult, startSimulator, type GenerationResult, type LLMServiceOptions, type RunSummary } from "llmbatch";

const TRIAGE_SCHEMA = {
  type: "object",
  required: ["label", "urgent"],
  properties: { label: { enum: ["billing", "bug", "other"] }, urgent: { type: "boolean" } },
};

interface Triage {
  label: "billing" | "bug" | "other";
  urgent: boolean;
}

export class TicketService extends BaseLLMService {
  constructor(options: LLMServiceOptions) {
    super({ model: "gpt-4o-mini", params: { temperature: 0, max_tokens: 120 }, concurrency: 4, ...options });
  }

  /** Structured output: the result's output is the validated JSON object, mapped to a queue name. */
  async route(ticket: string): Promise<GenerationResult> {
    const triage = await this.generate({ name: "triage", prompt: `Classify this support ticket:\n${ticket}`, schema: TRIAGE_SCHEMA, repairAttempts: 2 });
    return mapResult<Triage, string>(triage, (t) => `${t.urgent ? "urgent" : "normal"}-${t.label}`);
  }

  /** Free text: a one-sentence summary. */
  async summarize(ticket: string): Promise<GenerationResult> {
    return this.generate({ name: "summary", system: "Answer in one sentence.", prompt: `Summarize this ticket:\n${ticket}` });
  }
}

export interface SampleRun {
  routes: { id: string; output: string }[];
  summaries: { id: string; output: string }[];
  errors: number;
  summary: RunSummary;
}

export async function main(tickets: string[] = ["I was charged twice for March.", "Export to CSV fails with a 500.", "Please add three seats."]): Promise<SampleRun> {
  const sim = await startSimulator({ quiet: true, latencyMs: [5, 30] });
  let flushed: RunSummary | undefined;
  const service = new TicketService({
    connections: { openai: { apiKey: "sk-simulator", baseUrl: sim.openaiBaseUrl } },
    onClose: (s) => void (flushed = s),
  });
  try {
    // The calls run concurrently, paced by the service's own gates and concurrency limit.
    const routes = await collectResults<string>(tickets.map((t) => service.route(t)));
    const summaries = await collectResults<string>(tickets.map((t) => service.summarize(t)));
    await service.close();
    return { routes: routes.outputs, summaries: summaries.outputs, errors: routes.errors.length + summaries.errors.length, summary: flushed! };
  } finally {
    await service.close();
    await sim.close();
  }
}
