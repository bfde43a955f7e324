/**
 * Property-based fuzzing of the input readers and the result writers, on the path a run takes:
 * bytes → reader (JSONL, CSV, TSV) → duplicate-id check → engine (a FakeProvider) → JSONL and
 * CSV writers. Generated inputs mix value types, deep nesting, UTF-8 and invalid bytes, escaped
 * and raw non-ASCII, lone surrogates, BOMs, LF/CRLF/CR line ends, Unicode and ASCII blank lines,
 * quoting, stray and broken quotes, wrong cell counts and an unclosed quote.
 *
 * Asserted for every input: no crash; exactly one result per line (JSONL) or row (CSV) that is
 * not ASCII-blank, at the line an editor shows; output that decodes as strict UTF-8 and parses as
 * JSON line by line with every string well-formed (what `jq` needs); a CSV output that reads back
 * with one row per result.
 *
 * Seeded and bounded so `npm test` runs it in seconds; `LLMBATCH_FUZZ_RUNS=5000` (and
 * `LLMBATCH_FUZZ_SEED=n`) runs it longer. A failure prints the seed and path to replay it.
 */
import { Readable, Writable } from "node:stream";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { readCsv } from "../../src/io/csv-reader.js";
import { dedupeIds } from "../../src/io/dedupe.js";
import { readJsonl } from "../../src/io/jsonl-reader.js";
import { createResultWriter } from "../../src/io/result-writer.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { GenerationResult, ReadItem } from "../../src/types.js";
import { FakeProvider, reply } from "../engine/fake-provider.js";

const RUNS = Number(process.env.LLMBATCH_FUZZ_RUNS ?? 60);
const SEED = Number(process.env.LLMBATCH_FUZZ_SEED ?? 16_2024);
const TIMEOUT_MS = Math.max(60_000, RUNS * 200);

// ---- generated text ----------------------------------------------------------------------

/** Characters that trip parsers: JSON and CSV syntax, line and Unicode spaces, astral, lone surrogates. */
const TRICKY = ['"', "\\", "[", "]", "{", "}", ",", "\t", "\n", "\r", " ", "\u00a0", "\u3000", "\ufeff", "\u2028", "\u0085", "é", "ß", "\u{1f600}", "\ud800", "\udfff", "\u0000"];
const unit = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom("a", "b", "z", "0", "9", "-", ".", ":") },
  { weight: 2, arbitrary: fc.constantFrom(...TRICKY) },
  { weight: 1, arbitrary: fc.string({ unit: "grapheme", minLength: 1, maxLength: 1 }) },
);
const text = fc.string({ unit, maxLength: 12 });
/** Text with no line end and no quote: the junk after a broken quote, and stray text. */
const plain = fc.string({ unit: fc.constantFrom("a", "b", " ", "é", "\u00a0", "\u{1f600}", "\\", "[", "{", ",", ";"), minLength: 1, maxLength: 6 });
const FIELD_NAMES = ["text", "lang", "n", "meta", "tags", "customer.name", "é"];

const jsonValue = fc.letrec((tie) => ({
  value: fc.oneof(
    { depthSize: "small", maxDepth: 5 },
    text,
    fc.integer(),
    fc.double({ noNaN: true, noDefaultInfinity: true }),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("value"), { maxLength: 3 }),
    fc.dictionary(fc.oneof(text, fc.constantFrom(...FIELD_NAMES)), tie("value"), { maxKeys: 3 }),
  ),
})).value;

const lineEnd = fc.constantFrom("\n", "\r\n", "\r");
const BOM = "\ufeff";
/** Replaced by the byte 0xE9 (Latin-1 "é"), which is not UTF-8. */
const LATIN1 = "\u0001LATIN1\u0001";

function toBytes(s: string): Buffer {
  const parts = s.split(LATIN1);
  return Buffer.concat(parts.flatMap((p, i) => (i === 0 ? [Buffer.from(p)] : [Buffer.from([0xe9]), Buffer.from(p)])));
}

/** JSON with every non-ASCII character escaped, as Python's `json.dumps` writes it (astral ones as surrogate pairs). */
const asciiJson = (v: unknown) => JSON.stringify(v).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);

// ---- JSONL -------------------------------------------------------------------------------

type JsonlLine =
  | { kind: "record"; fields: Record<string, unknown>; ascii: boolean; pad: string }
  | { kind: "deep"; depth: number }
  | { kind: "garbage"; text: string }
  | { kind: "unicode-blank"; text: string }
  | { kind: "ascii-blank"; text: string }
  | { kind: "latin1" };

const jsonlLine: fc.Arbitrary<JsonlLine> = fc.oneof(
  {
    weight: 8,
    arbitrary: fc.record({
      kind: fc.constant("record" as const),
      fields: fc.dictionary(fc.constantFrom(...FIELD_NAMES, "prompt"), jsonValue, { maxKeys: 4 }),
      ascii: fc.boolean(),
      pad: fc.constantFrom("", " ", "\t "),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("deep" as const), depth: fc.oneof(fc.integer({ min: 995, max: 1005 }), fc.constant(20_000)) }) },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant("garbage" as const),
      text: fc.string({ unit: fc.constantFrom("{", "}", '"', ":", ",", "a", "1", "\u00a0", "é", "\\", "[", "\t", " "), minLength: 1, maxLength: 10 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("unicode-blank" as const),
      text: fc.string({ unit: fc.constantFrom("\u00a0", "\u3000", "\ufeff", "\u2028", " ", "\t"), minLength: 1, maxLength: 4 }).filter((s) => /[^ \t]/.test(s)),
    }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant("ascii-blank" as const), text: fc.string({ unit: fc.constantFrom(" ", "\t"), maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.constant({ kind: "latin1" as const }) },
);

function jsonlText(line: JsonlLine, id: string | undefined): string {
  switch (line.kind) {
    case "record": {
      const fields = id === undefined ? line.fields : { ...line.fields, id };
      return `${line.pad}${line.ascii ? asciiJson(fields) : JSON.stringify(fields)}${line.pad}`;
    }
    case "deep":
      return `{"id":${JSON.stringify(id ?? "deep")},"prompt":"p","d":${"[".repeat(line.depth)}${"]".repeat(line.depth)}}`;
    case "garbage":
    case "unicode-blank":
    case "ascii-blank":
      return line.text.replace(/[\r\n]/g, "");
    case "latin1":
      return `{"prompt":"caf${LATIN1}"}`;
  }
}

const jsonlInput = fc.record({
  bom: fc.boolean(),
  withIds: fc.boolean(),
  lines: fc.array(fc.tuple(jsonlLine, lineEnd), { minLength: 1, maxLength: 12 }),
  lastEnd: fc.boolean(),
});

/**
 * The oracle, independent of the splitter: split at CRLF, CR or LF as an editor does; every line
 * that is not ASCII-blank (after the file's BOM, on line 1) is one record or one invalid line.
 */
function expectedLines(content: string): number[] {
  const lines = content.split(/\r\n|\r|\n/);
  const out: number[] = [];
  lines.forEach((l, i) => {
    const body = i === 0 && l.startsWith(BOM) ? l.slice(1) : l;
    if (!/^[ \t]*$/.test(body)) out.push(i + 1);
  });
  return out;
}

// ---- CSV / TSV ----------------------------------------------------------------------------

type CsvRow =
  | { kind: "good"; cells: string[] }
  | { kind: "columns"; cells: string[] }
  | { kind: "stray"; cells: string[]; stray: string }
  | { kind: "broken-close"; cells: string[]; inside: string; junk: string }
  | { kind: "nbsp" }
  | { kind: "latin1"; cells: string[] };

const cell = fc.string({ unit: fc.oneof(unit, fc.constantFrom(",", '"', "\n", "\r", "\r\n")), maxLength: 8 }).map((s) => s.replace(/[\ud800-\udfff]/g, "?"));

function csvRow(columns: number): fc.Arbitrary<CsvRow> {
  const cells = fc.array(cell, { minLength: columns, maxLength: columns });
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ kind: fc.constant("good" as const), cells }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("columns" as const), cells: fc.array(cell, { minLength: 1, maxLength: columns + 2 }).filter((c) => c.length !== columns) }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("stray" as const), cells, stray: fc.constantFrom('a"b', 'say "hi" now', 'x""') }) },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant("broken-close" as const), cells, inside: fc.string({ unit: fc.constantFrom("a", ",", "\n", "\r\n", " ", "é", '""'), maxLength: 6 }), junk: plain }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: "nbsp" as const }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant("latin1" as const), cells }) },
  );
}

function quote(value: string, delimiter: string): string {
  return value === "" || (!/["\r\n]/.test(value) && !value.includes(delimiter)) ? value : `"${value.replaceAll('"', '""')}"`;
}

function rowText(row: CsvRow, delimiter: string, id: string | undefined): string {
  const join = (cells: string[]) => [...(id === undefined ? [] : [id]), ...cells.map((c) => quote(c, delimiter))].join(delimiter);
  switch (row.kind) {
    case "good":
    case "columns":
      return join(row.cells);
    case "latin1":
      return `${join(row.cells.slice(0, -1))}${row.cells.length > 1 || id !== undefined ? delimiter : ""}caf${LATIN1}`;
    case "stray":
      // A quote inside an unquoted cell (not its first character).
      return `${join(row.cells.slice(0, -1))}${row.cells.length > 1 || id !== undefined ? delimiter : ""}${row.stray}`;
    case "broken-close":
      // `"…"junk` as the row's last cell: a closing quote followed by more text.
      return `${join(row.cells.slice(0, -1))}${row.cells.length > 1 || id !== undefined ? delimiter : ""}"${row.inside}"${row.junk}`;
    case "nbsp":
      return "\u00a0";
  }
}

const csvInput = fc
  .record({ columns: fc.integer({ min: 1, max: 3 }), tsv: fc.boolean(), bom: fc.boolean(), withIds: fc.boolean(), unclosedAt: fc.option(fc.nat(), { nil: undefined }), lastEnd: fc.boolean() })
  .chain((shape) => fc.record({ shape: fc.constant(shape), rows: fc.array(fc.tuple(csvRow(shape.columns), lineEnd), { minLength: 1, maxLength: 10 }) }));

/** Line breaks as an editor counts them (CRLF is one). */
const breaks = (s: string) => (s.match(/\r\n|\r|\n/g) ?? []).length;

// ---- the run path ---------------------------------------------------------------------------

/** What a provider may answer: usually the prompt back, sometimes with a lone surrogate in it. */
const provider = () => new FakeProvider((prompt, call) => reply(call % 3 === 0 ? `${prompt} \ud800 broken` : `echo: ${prompt}`));

async function run(items: AsyncIterable<ReadItem>): Promise<GenerationResult[]> {
  const engine = new GenerationEngine({ pipeline: defaultPipeline(), provider, prices: loadPriceTable(), includeInput: true, concurrency: 4, ordered: true, retryTiming: { baseMs: 1, maxMs: 2 } });
  const out: GenerationResult[] = [];
  for await (const r of engine.run(dedupeIds(items))) out.push(r);
  return out;
}

/** The bytes each writer writes for these results (through a stream, as stdout would). */
async function written(results: GenerationResult[], format: "jsonl" | "csv"): Promise<Buffer> {
  const chunks: Buffer[] = [];
  const stdout = new Writable({ write: (chunk: Buffer, _enc, done) => (chunks.push(chunk), done()) });
  const writer = await createResultWriter({ stdout, format, includeInput: true });
  for (const r of results) await writer.write(r);
  await writer.close();
  return Buffer.concat(chunks);
}

function assertWellFormedJsonLines(bytes: Buffer, count: number): Record<string, unknown>[] {
  const decoded = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const lines = decoded.split("\n");
  expect(lines.pop()).toBe("");
  expect(lines).toHaveLength(count);
  return lines.map((l) => {
    const value = JSON.parse(l) as Record<string, unknown>;
    expect(allWellFormed(value)).toBe(true);
    return value;
  });
}

function allWellFormed(v: unknown): boolean {
  if (typeof v === "string") return v.isWellFormed();
  if (typeof v !== "object" || v === null) return true;
  return Object.entries(v).every(([k, child]) => k.isWellFormed() && allWellFormed(child));
}

async function assertCsvReadsBack(bytes: Buffer, count: number): Promise<void> {
  new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const back: ReadItem[] = [];
  for await (const item of readCsv(Readable.from([bytes]))) back.push(item);
  expect(back.filter((i) => i.kind === "invalid")).toEqual([]);
  expect(back).toHaveLength(count);
}

const chunkSize = fc.constantFrom(1, 2, 3, 7, 64, 65_536);
const chunks = (bytes: Buffer, size: number) => Readable.from(Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size)));

describe("readers and writers under generated input", () => {
  it("JSONL: one result per non-blank line at its editor line, well-formed JSON and CSV out", { timeout: TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(jsonlInput, chunkSize, async (input, size) => {
        const body = input.lines.map(([line, end], i) => jsonlText(line, input.withIds ? `r-${i}` : undefined) + (i < input.lines.length - 1 || input.lastEnd ? end : "")).join("");
        const content = (input.bom ? BOM : "") + body;
        const items: ReadItem[] = [];
        for await (const item of readJsonl(chunks(toBytes(content), size))) items.push(item);
        const lines = expectedLines(content.replaceAll(LATIN1, "x"));
        expect(items.map((i) => (i.kind === "record" ? i.record.line : i.invalid.line))).toEqual(lines);

        const results = await run(
          (async function* () {
            yield* items;
          })(),
        );
        expect(results).toHaveLength(lines.length);
        // Output ids are unique per input record, with or without ids of their own (content ids,
        // `#2` for identical records, `#line-<n>` for lines whose id cannot be read or is taken).
        expect(new Set(results.map((r) => r.id)).size).toBe(results.length);
        assertWellFormedJsonLines(await written(results, "jsonl"), results.length);
        await assertCsvReadsBack(await written(results, "csv"), results.length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  it("CSV and TSV: one result per row at the line it starts on, reading on after bad rows; well-formed output", { timeout: TIMEOUT_MS }, async () => {
    await fc.assert(
      fc.asyncProperty(csvInput, chunkSize, async ({ shape, rows }, size) => {
        const delimiter = shape.tsv ? "\t" : ",";
        // A `prompt` column, so the rows that have one are sent and their answers written.
        const header = [...(shape.withIds ? ["id"] : []), ...Array.from({ length: shape.columns }, (_, i) => (i === 0 ? "prompt" : `c${i}`))].join(delimiter);
        // An unclosed quote swallows the rest of the input: only the rows before it, and it, are items.
        const unclosed = shape.unclosedAt === undefined ? undefined : shape.unclosedAt % (rows.length + 1);
        let content = `${(shape.bom ? BOM : "") + header}\n`;
        const expected: number[] = [];
        rows.forEach(([row, end], i) => {
          if (unclosed !== undefined && i >= unclosed) return;
          const text = rowText(row, delimiter, shape.withIds ? `r-${i}` : undefined);
          // Empty lines and lines of only spaces and tabs are skipped; every other row is an item.
          if (!/^[ \t]*$/.test(text)) expected.push(breaks(content) + 1);
          content += text + (i < rows.length - 1 || shape.lastEnd ? end : "");
        });
        if (unclosed !== undefined) {
          if (!/[\r\n]$/.test(content)) content += "\n";
          expected.push(breaks(content) + 1);
          content += `${shape.withIds ? `r-open${delimiter}` : ""}"never closed\nr-x${delimiter}after\n`;
        }
        const told: string[] = [];
        const items: ReadItem[] = [];
        const source = chunks(toBytes(content), size);
        for await (const item of readCsv(source, { delimiter, onIncomplete: (m) => told.push(m) })) items.push(item);
        expect(items.map((i) => (i.kind === "record" ? i.record.line : i.invalid.line))).toEqual(expected);
        expect(told).toHaveLength(unclosed === undefined ? 0 : 1);
        for (const [i, [row]] of rows.entries()) {
          if (unclosed !== undefined && i >= unclosed) break;
          if (row.kind === "good" && shape.withIds) expect(items.some((it) => it.kind === "record" && it.record.id === `r-${i}`)).toBe(true);
        }

        const results = await run(
          (async function* () {
            yield* items;
          })(),
        );
        expect(results).toHaveLength(expected.length);
        // Unique per input record, whether or not the rows have an id column (or one the row lost).
        expect(new Set(results.map((r) => r.id)).size).toBe(results.length);
        assertWellFormedJsonLines(await written(results, "jsonl"), results.length);
        await assertCsvReadsBack(await written(results, "csv"), results.length);
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });
});
