/**
 * CSV and TSV output have fixed columns: a result's tool calls, function call, logprobs, other
 * choices and metadata are not in them. Rather than lose them silently, the run counts the results
 * that carried any and says so once, at the end, naming them and the output that keeps them.
 */
import { CSV_LOST_FIELDS } from "../io/csv-writer.js";
import type { GenerationResult } from "../types.js";

export class CsvLostFields {
  readonly #counts = new Map<string, number>();

  /** Notes what `result` carries that a CSV row cannot hold (five property reads per result). */
  note(result: GenerationResult): void {
    for (const field of CSV_LOST_FIELDS) {
      if (result[field] !== undefined) this.#counts.set(field, (this.#counts.get(field) ?? 0) + 1);
    }
  }

  /** The warning, or undefined when no result carried any. */
  message(output: string): string | undefined {
    if (this.#counts.size === 0) return undefined;
    const named = [...this.#counts].map(([field, n]) => `${field} (${n} result${n === 1 ? "" : "s"})`).join(", ");
    return `${output} is CSV/TSV, whose columns cannot hold ${named}: they are not in it; write JSONL (-o <file>.jsonl or --output-format jsonl) to keep them`;
  }
}
