import { afterAll, describe, expect, it } from "vitest";
import { readJsonl } from "../../src/io/jsonl-reader.js";
import { openInput } from "../../src/io/open-input.js";
import { chunked, collect, invalids, records, tempDir } from "./helpers.js";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

const read = (content: string | Buffer, chunk = 64 * 1024) => collect(readJsonl(chunked(content, chunk)));

describe("JSONL reader", () => {
  it("reads a file: prompt, explicit ids, every field as vars", async () => {
    const path = tmp.file("basic.jsonl", '{"id":"a","prompt":"Hi","lang":"fr"}\n{"id":7,"prompt":"Yo"}\n');
    const items = await collect(openInput(path).items);
    expect(items).toEqual([
      { kind: "record", record: { id: "a", line: 1, prompt: "Hi", vars: { id: "a", prompt: "Hi", lang: "fr" } } },
      { kind: "record", record: { id: "7", line: 2, prompt: "Yo", vars: { id: 7, prompt: "Yo" } } },
    ]);
  });

  it("leaves the id empty when there is none (the id registry gives the content id), counting blank lines", async () => {
    const items = await read('{"prompt":"one"}\n\n   \n{"prompt":"four"}\n\n');
    expect(records(items).map((r) => [r.id, r.line])).toEqual([
      ["", 1],
      ["", 4],
    ]);
    expect(items).toHaveLength(2);
  });

  it("handles CRLF, a BOM on the first line, and a last line without newline", async () => {
    const content = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"prompt":"a"}\r\n\r\n{"prompt":"b\\r\\n"}')]);
    for (const chunk of [1, 2, 5, 1024]) {
      const recs = records(await read(content, chunk));
      expect(recs.map((r) => [r.line, r.prompt])).toEqual([
        [1, "a"],
        [3, "b\r\n"],
      ]);
    }
  });

  it("keeps reading after a malformed line and reports it with its line and the parser's message", async () => {
    const items = await read('{"prompt":"ok1"}\n{"prompt": "oops",}\n{"prompt":"ok3"}\n');
    expect(records(items).map((r) => r.line)).toEqual([1, 3]);
    const [bad] = invalids(items);
    expect(bad).toMatchObject({ id: "", line: 2 });
    expect(bad!.message).toMatch(/^invalid JSON: .*JSON/);
    // Order is file order.
    expect(items.map((i) => i.kind)).toEqual(["record", "invalid", "record"]);
  });

  it("rejects JSON values that are not objects", async () => {
    const items = await read('[1,2]\n"text"\nnull\n42\n');
    expect(invalids(items).map((i) => i.message)).toEqual([
      "expected a JSON object, got an array (2 items)",
      'expected a JSON object, got "text"',
      "expected a JSON object, got null",
      "expected a JSON object, got 42",
    ]);
  });

  it("makes a line with non-UTF-8 bytes invalid and reads the others", async () => {
    const latin1 = Buffer.from('{"prompt":"caf\xe9"}', "latin1");
    const content = Buffer.concat([Buffer.from('{"prompt":"é ok"}\n'), latin1, Buffer.from('\n{"prompt":"after"}\n')]);
    const items = await read(content, 3);
    expect(records(items).map((r) => r.prompt)).toEqual(["é ok", "after"]);
    expect(invalids(items)).toEqual([{ id: "", line: 2, message: expect.stringMatching(/^not valid UTF-8/) }]);
  });

  it("reads a single 10 MB line", async () => {
    const big = "x".repeat(10 * 1024 * 1024);
    const path = tmp.file("big.jsonl", `{"prompt":"small"}\n{"id":"big","prompt":"${big}"}\n{"prompt":"tail"}\n`);
    const recs = records(await collect(openInput(path).items));
    expect(recs.map((r) => r.id)).toEqual([expect.stringMatching(/^c:/), "big", expect.stringMatching(/^c:/)]);
    expect(recs[1]!.prompt!.length).toBe(big.length);
  });

  it("reports a line over the length limit without holding it", async () => {
    const items = await collect(readJsonl(chunked(`{"prompt":"${"y".repeat(5000)}"}\n{"prompt":"ok"}\n`, 100), { maxLineBytes: 1000 }));
    expect(invalids(items)).toEqual([{ id: "", line: 1, message: "line is 5013 bytes, longer than the limit of 1000 bytes" }]);
    expect(records(items).map((r) => r.line)).toEqual([2]);
  });

  it("gives an invalid record its own id when it is readable", async () => {
    const items = await read('{"id":"r1","messages":[{"role":"bot","content":"x"}]}\n');
    expect(invalids(items)).toEqual([{ id: "r1", line: 1, message: 'messages[0].role must be one of system, developer, user, assistant, tool, got "bot"' }]);
  });

  it("reads a UTF-16 file by its byte order mark (readJsonl alone, given raw UTF-16, still refuses it)", async () => {
    for (const [bom, encoding] of [
      [[0xff, 0xfe], "utf16le"],
      [[0xfe, 0xff], "be"],
    ] as const) {
      const le = Buffer.from('{"prompt":"caf\u00e9 \u{1f600}"}\n{"prompt":"two"}\n', "utf16le");
      const path = tmp.file(`utf16-${encoding}.jsonl`, Buffer.concat([Buffer.from(bom), encoding === "be" ? Buffer.from(le).swap16() : le]));
      expect(records(await collect(openInput(path).items)).map((r) => r.prompt)).toEqual(["caf\u00e9 \u{1f600}", "two"]);
    }
    const raw = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"prompt":"x"}\n', "utf16le")]);
    await expect(collect(readJsonl(chunked(raw, 1024), { name: "in.jsonl" }))).rejects.toThrow("in.jsonl: the file is UTF-16 encoded; JSON Lines must be UTF-8");
  });

  it("yields nothing for an empty file", async () => {
    const path = tmp.file("empty.jsonl", "");
    expect(await collect(openInput(path).items)).toEqual([]);
    expect(await read("\n\n")).toEqual([]);
  });
  it("ends a line at a lone CR as at LF and CRLF, at any chunk boundary, numbering lines as an editor does", async () => {
    const content = '{"prompt":"a"}\r{"prompt":"b"}\r\n\r\n{"prompt":"c"}\n\r{"prompt":"d"}\r';
    for (const chunk of [1, 2, 3, 15, 16, 1024]) {
      const items = await read(content, chunk);
      expect(items.map((i) => (i.kind === "record" ? [i.record.line, i.record.prompt] : i))).toEqual([
        [1, "a"],
        [2, "b"],
        [4, "c"],
        [6, "d"],
      ]);
    }
  });

  it("skips only ASCII-blank lines: U+00A0, U+3000 or a BOM alone mid-file is an invalid line naming what it holds", async () => {
    const items = await read('{"prompt":"a"}\n \t \n\u00a0\n\u3000 \n\ufeff\n\ufeff{"prompt":"after a BOM"}\n');
    expect(records(items).map((r) => [r.line, r.prompt])).toEqual([
      [1, "a"],
      [6, "after a BOM"],
    ]);
    expect(invalids(items).map((i) => [i.line, i.message.replace(/^invalid JSON: .*? \(/, "(")])).toEqual([
      [3, "(the line holds only U+00A0: it looks blank but is not; only lines of ASCII spaces and tabs are skipped)"],
      [4, "(the line holds only U+3000, U+0020: it looks blank but is not; only lines of ASCII spaces and tabs are skipped)"],
      [5, "(the line holds only U+FEFF: it looks blank but is not; only lines of ASCII spaces and tabs are skipped)"],
    ]);
  });

  it("refuses a record nested deeper than 1,000 levels, with its id; 1,000 levels and brackets inside strings are fine", async () => {
    const nest = (n: number) => `${"[".repeat(n)}${"]".repeat(n)}`;
    const brackets = JSON.stringify("[{".repeat(5000));
    const items = await read([`{"id":"ok","d":${nest(999)}}`, `{"id":"deep","d":${nest(1000)}}`, `{"id":"text","d":${brackets}}`, `{"id":"far","d":${nest(50_000)}}`].join("\n"));
    expect(records(items).map((r) => r.id)).toEqual(["ok", "text"]);
    const message = 'field "d" nests arrays/objects more than 1000 levels deep, counting the record as one (the most llmbatch reads)';
    expect(invalids(items)).toEqual([
      { id: "deep", line: 2, message },
      { id: "far", line: 4, message },
    ]);
  });

  it("refuses a lone surrogate in any string or key, naming the field; an escaped pair is a character", async () => {
    const items = await read(
      [
        '{"id":"pair","prompt":"\\ud83d\\ude00"}',
        '{"id":"p","prompt":"a\\ud800b"}',
        '{"id":"m","messages":[{"role":"user","content":"\\uDFFF"}]}',
        '{"id":"k","meta":{"\\udc00":1}}',
        '{"id":"\\ud800","prompt":"x"}',
        '{"id":"lit","prompt":"a literal \\\\ud800 is text"}',
      ].join("\n"),
    );
    expect(records(items).map((r) => [r.id, r.prompt])).toEqual([
      ["pair", "\u{1f600}"],
      ["lit", "a literal \\ud800 is text"],
    ]);
    expect(invalids(items).map((i) => [i.id, i.line, i.message.split(" holds")[0]])).toEqual([
      ["p", 2, "prompt"],
      ["m", 3, "messages[0].content"],
      ["k", 4, 'the key of meta["\ufffd"]'],
      // An id UTF-8 cannot hold cannot name the output line: none is given, and the registry names it by its line.
      ["", 5, "id"],
    ]);
  });
});
