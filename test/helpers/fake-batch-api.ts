/**
 * A Batch API of llmbatch's own `BatchApi` interface, in memory, for unit tests of the batch
 * backend with no HTTP (as `FakeProvider` is for the engine): every batch completes at once, each
 * chat line answered with `echo: <last message>`. The tests through the real client and the
 * simulator are in test/batch/.
 */
import { ProviderError } from "../../src/errors.js";
import type { BatchApi, BatchInfo, BatchLine, BatchOutputLine } from "../../src/batch/batch-api.js";
import type { LlmRequest, LlmResponse, Provider } from "../../src/types.js";

interface Line {
  custom_id: string;
  url: string;
  body: { model: string; messages: { content: string }[] };
}

export class FakeBatchApi implements BatchApi {
  readonly files = new Map<string, Line[]>();
  readonly outputs = new Map<string, BatchOutputLine[]>();
  /** Each batch created: its lines' custom ids, in creation order. */
  readonly created: string[][] = [];
  #n = 0;

  async upload(_name: string, content: Uint8Array): Promise<string> {
    const id = `file-${++this.#n}`;
    const text = Buffer.from(content).toString("utf8");
    this.files.set(
      id,
      text
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Line),
    );
    return id;
  }

  async create(p: { inputFileId: string; endpoint: string; metadata: Record<string, string> }): Promise<BatchInfo> {
    const lines = this.files.get(p.inputFileId)!;
    const id = `batch_${++this.#n}`;
    this.created.push(lines.map((l) => l.custom_id));
    const out = `file-out-${id}`;
    this.outputs.set(
      out,
      lines.map((l, i) => ({
        custom_id: l.custom_id,
        id: `batch_req_${id}_${i}`,
        response: { status: 200, body: { text: `echo: ${l.body.messages.at(-1)!.content}`, model: l.body.model } },
      })),
    );
    return {
      id,
      status: "completed",
      endpoint: p.endpoint,
      inputFileId: p.inputFileId,
      outputFileId: out,
      counts: { total: lines.length, completed: lines.length, failed: 0 },
      errors: [],
      metadata: p.metadata,
      createdAt: 0,
    };
  }

  async retrieve(id: string): Promise<BatchInfo> {
    const out = `file-out-${id}`;
    const n = this.outputs.get(out)!.length;
    return { id, status: "completed", endpoint: "/v1/chat/completions", inputFileId: "", outputFileId: out, counts: { total: n, completed: n, failed: 0 }, errors: [], metadata: {}, createdAt: 0 };
  }

  async *list(): AsyncIterable<BatchInfo> {}

  async cancel(id: string): Promise<BatchInfo> {
    return this.retrieve(id);
  }

  async *lines(fileId: string): AsyncIterable<BatchOutputLine> {
    yield* this.outputs.get(fileId) ?? [];
  }

  async probe(): Promise<string | undefined> {
    return undefined;
  }

  classify(err: unknown): ProviderError {
    return new ProviderError({ type: "unknown", message: String(err) });
  }
}

/** A provider whose every call goes through `api` (it has no synchronous path). */
export function fakeBatchProvider(api: FakeBatchApi): Provider {
  return {
    name: "openai",
    generate: () => Promise.reject(new Error("synchronous call in a batch test")),
    batchApi: () => api,
    batchLine: (request: LlmRequest): BatchLine<LlmResponse> => ({
      url: "/v1/chat/completions",
      body: { model: request.model, messages: request.messages },
      parse: (body) => {
        const b = body as { text: string; model: string };
        return { text: b.text, model: b.model, finishReason: "stop", usage: { input_tokens: 10, output_tokens: 5, cached_tokens: 0 } };
      },
      error: (status) => new ProviderError({ type: "server", status, message: `line answered ${status}` }),
    }),
  };
}
