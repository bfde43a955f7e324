import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Readable } from "node:stream";
import { emptyBackoff, type FailedResult, type OkResult, type ReadItem, type ResultError } from "../../src/types.js";

/** A fresh temp directory per test file; `cleanup` in afterAll. */
export function tempDir(): { dir: string; file(name: string, content: string | Buffer): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), "llmbatch-io-"));
  return {
    dir,
    file(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** A byte stream cut into pieces of `size` bytes, to cross every chunk boundary. */
export function chunked(content: string | Buffer, size: number): Readable {
  const buf = typeof content === "string" ? Buffer.from(content) : content;
  const pieces: Buffer[] = [];
  for (let i = 0; i < buf.length; i += size) pieces.push(buf.subarray(i, i + size));
  return Readable.from(pieces);
}

export function records(items: ReadItem[]) {
  return items.flatMap((i) => (i.kind === "record" ? [i.record] : []));
}

export function invalids(items: ReadItem[]) {
  return items.flatMap((i) => (i.kind === "invalid" ? [i.invalid] : []));
}

/** A successful result with every field set, as the engine would produce it. */
export function result(over: Partial<OkResult> = {}): OkResult {
  return {
    id: "42",
    ok: true,
    output: "Bonjour",
    model: "gpt-4o-mini",
    provider: "openai",
    usage: { input_tokens: 120, output_tokens: 48, cached_tokens: 0 },
    cost_usd: 0.0000468,
    attempts: 1,
    backoff: emptyBackoff(),
    latency_ms: 812,
    steps: [{ id: "main", ok: true, ms: 812 }],
    finish_reason: "stop",
    ...over,
  };
}

/** A failed result with `error`, otherwise as `result()` without its output. */
export function failed(error: ResultError, over: Partial<FailedResult> = {}): FailedResult {
  const { output: _output, ...rest } = result();
  return { ...rest, ok: false, error, ...over };
}
