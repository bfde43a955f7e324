/**
 * `llmbatch batches status <results>` and `llmbatch batches cancel <results>`: the batches behind a
 * results file, read from its journal (`<results>.batches.json`), and what the provider says of them
 * now. Cancelling leaves finished lines collectable: `run … --resume` collects them and sends the rest.
 */
import { UsageError } from "../errors.js";
import { loadPipeline, defaultPipeline, type Pipeline } from "../config/pipeline.js";
import { journalPath, readJournal, type ChunkEntry } from "../batch/journal.js";
import type { BatchApi, BatchInfo } from "../batch/batch-api.js";
import { createProvider, providerSettings } from "../providers/create.js";
import { groupDigits } from "../metrics/number-format.js";
import type { CliIO } from "./main.js";
import type { Logger } from "./logger.js";
import { connectionsFromEnv } from "./run-command.js";

export interface BatchesFlags {
  pipeline?: string;
  baseUrl?: string;
  json?: boolean;
}

export async function batchesCommand(action: "status" | "cancel", results: string, flags: BatchesFlags, io: CliIO, log: Logger): Promise<number> {
  const path = journalPath(results);
  const journal = await readJournal(path);
  if (journal === undefined) throw new UsageError(`${path} not found: ${results} has no batches (it was not written by run --batch)`);
  const pipeline: Pipeline = flags.pipeline ? await loadPipeline(flags.pipeline) : defaultPipeline();
  if (flags.baseUrl !== undefined) pipeline.base_url = flags.baseUrl;
  const connections = connectionsFromEnv(io.env, pipeline);
  const apis = new Map<string, BatchApi>();
  const apiFor = (name: string): BatchApi => {
    let api = apis.get(name);
    if (api === undefined) {
      api = createProvider(providerSettings(name, pipeline, connections, (m) => log.warn(m))).batchApi?.();
      if (api === undefined) throw new UsageError(`provider "${name}" has no Batch API`);
      apis.set(name, api);
    }
    return api;
  };
  const rows: { chunk: ChunkEntry; info?: BatchInfo; error?: string }[] = [];
  for (const chunk of journal.chunks) {
    if (chunk.batch_id === undefined) {
      rows.push({ chunk });
      continue;
    }
    try {
      const api = apiFor(chunk.provider);
      let info = await api.retrieve(chunk.batch_id);
      if (action === "cancel" && !["completed", "failed", "expired", "cancelled", "cancelling"].includes(info.status)) info = await api.cancel(chunk.batch_id);
      rows.push({ chunk, info });
    } catch (err) {
      if (err instanceof UsageError) throw err;
      rows.push({ chunk, error: (err as Error).message });
    }
  }
  if (flags.json) {
    const out = rows.map(({ chunk, info, error }) => ({
      chunk: chunk.index,
      model: chunk.model,
      requests: chunk.custom_ids.length,
      journal_state: chunk.state,
      batch_id: chunk.batch_id ?? null,
      status: info?.status ?? null,
      request_counts: info?.counts ?? null,
      ...(error ? { error } : {}),
    }));
    io.stdout.write(`${JSON.stringify(out)}\n`);
  } else {
    for (const { chunk, info, error } of rows) {
      const head = `chunk ${chunk.index} (${chunk.model}, ${groupDigits(chunk.custom_ids.length)} requests)`;
      if (chunk.batch_id === undefined) log.stream.write(`${head}: no batch (${chunk.state === "intent" ? "never uploaded" : "not created"})\n`);
      else if (error !== undefined) log.stream.write(`${head}: ${chunk.batch_id}: cannot ask the provider: ${error}\n`);
      else {
        const c = info!.counts;
        log.stream.write(`${head}: ${chunk.batch_id}: ${info!.status}, ${groupDigits(c.completed)}/${groupDigits(c.total)} done, ${groupDigits(c.failed)} failed\n`);
      }
    }
    if (action === "cancel") log.stream.write(`cancelled what was running; run the same command with --resume to collect the finished lines (the rest are sent again)\n`);
  }
  return rows.some((r) => r.error !== undefined) ? 1 : 0;
}
