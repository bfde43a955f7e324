import { execFileSync } from "node:child_process";
import { chmodSync, createWriteStream } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { UsageError } from "../../src/errors.js";
import { canReadTwice, openInput } from "../../src/io/open-input.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import { FakeProvider, reply } from "../engine/fake-provider.js";
import { collect, records, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe("openInput: its items carry final ids, for a program as for the CLI", () => {
  it("gives content ids, numbers identical records, and makes a repeated id a line of its own", async () => {
    const path = tmp.file("ids.jsonl", '{"prompt":"hello"}\n{"id":"T-1","prompt":"a"}\n{"prompt":"hello"}\n{"id":"T-1","prompt":"b"}\nnot json\n');
    const items = await collect(openInput(path).items);
    const ids = items.map((i) => (i.kind === "record" ? i.record.id : i.invalid.id));
    expect(ids).toEqual([expect.stringMatching(/^c:[0-9a-f]{16}$/), "T-1", `${ids[0]}#2`, "T-1#line-4", "#line-5"]);
  });

  it("fed straight to GenerationEngine.run, one result per record under distinct ids", async () => {
    const path = tmp.file("tickets.csv", "text\nprinter jams\nlogin fails\nprinter jams\n");
    const engine = new GenerationEngine({
      pipeline: { ...defaultPipeline(), steps: [{ id: "main", method: "generate", prompt: "Summarize: {{text}}", params: {} }] },
      provider: () => new FakeProvider(() => reply("ok")),
      prices: loadPriceTable(),
      ordered: true,
    });
    const results = await collect(engine.run(openInput(path).items));
    expect(results.map((r) => r.ok)).toEqual([true, true, true]);
    expect(new Set(results.map((r) => r.id)).size).toBe(3);
    expect(results.every((r) => r.id.startsWith("c:"))).toBe(true);
  });
});

describe("openInput", () => {
  it("detects the format from the extension", () => {
    const content = '{"prompt":"x"}\n';
    expect(openInput(tmp.file("a.jsonl", content)).format).toBe("jsonl");
    expect(openInput(tmp.file("a.NDJSON", content)).format).toBe("jsonl");
    expect(openInput(tmp.file("a.json", content)).format).toBe("jsonl");
    expect(openInput(tmp.file("a.csv", "prompt\nx\n")).format).toBe("csv");
    expect(openInput(tmp.file("a.tsv", "prompt\nx\n")).format).toBe("tsv");
  });

  it("lets --format override the extension", async () => {
    const input = openInput(tmp.file("rows.txt", "id,prompt\nr,hello\n"), { format: "csv" });
    expect(input).toMatchObject({ format: "csv", name: join(tmp.dir, "rows.txt") });
    expect(records(await collect(input.items)).map((r) => r.prompt)).toEqual(["hello"]);
  });

  it("throws UsageError naming the path and what was expected", () => {
    const txt = tmp.file("notes.txt", "x");
    expect(() => openInput(txt)).toThrow(UsageError);
    expect(() => openInput(txt)).toThrow(`cannot tell the format of input "${txt}" from the extension ".txt": expected .jsonl, .ndjson, .json, .csv, .tsv, or pass --format jsonl|csv|tsv`);
    const missing = join(tmp.dir, "missing.jsonl");
    expect(() => openInput(missing)).toThrow(`cannot read input "${missing}": no such file`);
    expect(() => openInput(tmp.dir)).toThrow(`input "${tmp.dir}" is a directory, not something to read records from`);
    expect(() => openInput(txt, { format: "xml" as "csv" })).toThrow('--format must be one of jsonl, csv, tsv, got "xml"');
  });

  it.skipIf(process.getuid?.() === 0)("throws UsageError for a file it may not read", () => {
    const locked = tmp.file("locked.jsonl", "{}\n");
    chmodSync(locked, 0o000);
    expect(() => openInput(locked)).toThrow(`cannot read input "${locked}": permission denied`);
  });

  it("reads stdin as JSONL by default, or as the given format", async () => {
    const jsonl = openInput("-", { stdin: Readable.from([Buffer.from('{"prompt":"a"}\n{"pro'), Buffer.from('mpt":"b"}\n')]) });
    expect(jsonl).toMatchObject({ format: "jsonl", name: "<stdin>" });
    expect(records(await collect(jsonl.items)).map((r) => [r.line, r.prompt])).toEqual([
      [1, "a"],
      [2, "b"],
    ]);
    const csv = openInput("-", { format: "csv", stdin: Readable.from(["prompt\n", "from csv\n"]) });
    expect(records(await collect(csv.items)).map((r) => r.prompt)).toEqual(["from csv"]);
  });

  it("stops reading cleanly when the consumer breaks early", async () => {
    const jsonl = tmp.file("many.jsonl", '{"prompt":"x"}\n'.repeat(10_000));
    const csv = tmp.file("many.csv", `prompt\n${"x\n".repeat(10_000)}`);
    for (const path of [jsonl, csv]) {
      let n = 0;
      for await (const _ of openInput(path).items) if (++n === 3) break;
      expect(n).toBe(3);
    }
  });
  it.skipIf(process.platform === "win32")("reads a named pipe once, as JSONL when its name has no known extension", async () => {
    const fifo = join(tmp.dir, "63");
    execFileSync("mkfifo", [fifo]);
    const input = openInput(fifo);
    expect(input.format).toBe("jsonl");
    expect(canReadTwice(fifo)).toBe(false);
    createWriteStream(fifo).end('{"prompt":"piped"}\n');
    expect(records(await collect(input.items)).map((r) => r.prompt)).toEqual(["piped"]);
    const csvFifo = join(tmp.dir, "rows.csv");
    execFileSync("mkfifo", [csvFifo]);
    expect(openInput(csvFifo).format).toBe("csv");
    expect(canReadTwice(tmp.file("plain.jsonl", "{}\n"))).toBe(true);
    expect(canReadTwice("-")).toBe(false);
  });

  it.skipIf(process.platform === "win32")("refuses a socket, which cannot be read as a stream of records", async () => {
    const path = join(tmp.dir, "s.jsonl");
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      expect(() => openInput(path)).toThrow(`input "${path}" is a socket, not something to read records from`);
    } finally {
      server.close();
    }
  });
});
