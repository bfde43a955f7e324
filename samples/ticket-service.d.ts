/** The types of `ticket-service.js` (the runnable library example), for TypeScript importers. */
import { BaseLLMService, type GenerationResult, type LLMServiceOptions, type RunSummary } from "llmbatch";

export declare class TicketService extends BaseLLMService {
  constructor(options: LLMServiceOptions);
  /** Structured output: the result's output is the validated JSON object, mapped to a queue name. */
  route(ticket: string): Promise<GenerationResult>;
  /** Free text: a one-sentence summary. */
  summarize(ticket: string): Promise<GenerationResult>;
}

export interface SampleRun {
  /** Per ticket, in order: its route and summary (null where the call failed). */
  tickets: { ticket: string; route: string | null; summary: string | null }[];
  routes: { id: string; output: string }[];
  summaries: { id: string; output: string }[];
  errors: number;
  summary: RunSummary;
}

export declare function main(tickets?: string[]): Promise<SampleRun>;
