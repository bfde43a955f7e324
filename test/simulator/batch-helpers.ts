import type OpenAI from "openai";
import { toFile } from "openai";
import type { Batch } from "openai/resources/batches";

export type Line = { custom_id: string; method: string; url: string; body: Record<string, unknown> };

/** A chat line as llmbatch would write it. */
export function chatLine(customId: string, content: string, extra: Record<string, unknown> = {}): Line {
  return { custom_id: customId, method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: [{ role: "user", content }], ...extra } };
}

export function jsonl(lines: readonly unknown[]): string {
  return `${lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n")}\n`;
}

export async function upload(client: OpenAI, lines: readonly unknown[], name = "input.jsonl"): Promise<string> {
  const file = await client.files.create({ file: await toFile(Buffer.from(jsonl(lines)), name), purpose: "batch" });
  return file.id;
}

export async function submit(
  client: OpenAI,
  lines: readonly unknown[],
  metadata?: Record<string, string>,
  endpoint: "/v1/chat/completions" | "/v1/embeddings" = "/v1/chat/completions",
): Promise<Batch> {
  const inputFileId = await upload(client, lines);
  return client.batches.create({ input_file_id: inputFileId, endpoint, completion_window: "24h", ...(metadata ? { metadata } : {}) });
}

const TERMINAL = new Set(["completed", "failed", "expired", "cancelled"]);

/** Polls until the batch reaches one of `statuses` (a terminal one by default), recording every status seen. */
export async function waitFor(client: OpenAI, id: string, statuses: ReadonlySet<string> = TERMINAL, seen: string[] = []): Promise<Batch> {
  for (;;) {
    const batch = await client.batches.retrieve(id);
    if (seen.at(-1) !== batch.status) seen.push(batch.status);
    if (statuses.has(batch.status)) return batch;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A file's JSONL lines, parsed, read through `files.content` as llmbatch reads them. */
export async function readLines(client: OpenAI, fileId: string | null | undefined): Promise<Record<string, any>[]> {
  if (!fileId) return [];
  const text = await (await client.files.content(fileId)).text();
  return text
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => JSON.parse(l));
}
