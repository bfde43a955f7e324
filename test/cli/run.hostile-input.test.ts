import { execFileSync } from "node:child_process";
import { createWriteStream, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, startCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

// Inputs a file can carry that crashed the run, lost records or wrote output other tools refuse.
const simulator = useSimulator();

/** `{"id":…,"prompt":…,"d":[[[…]]]}` with `d` nested `depth` arrays deep. */
const deepRecord = (id: string, depth: number) => `{"id":"${id}","prompt":"look","d":${"[".repeat(depth)}${"]".repeat(depth)}}`;

/** Strict UTF-8, and JSON whose every string and key is well-formed Unicode (what `jq` needs). */
function strictJsonLines(bytes: Buffer): Record<string, any>[] {
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  // `JSON.parse` accepts a lone-surrogate escape; `jq` aborts the stream on it.
  expect(text).not.toMatch(/(?<!\\)(?:\\\\)*\\u[dD][89a-fA-F][0-9a-fA-F]{2}/);
  return jsonLines(text);
}

describe("a record nested too deep is one invalid_input line, and the run goes on", () => {
  const dir = tempDir();
  const file = writeTemp(dir, "deep.jsonl", `${[`{"id":"a","prompt":"hi"}`, deepRecord("b", 20_000), `{"id":"c","prompt":"there"}`].join("\n")}\n`);

  it("through --include-input to JSONL and to CSV, with the summary written", async () => {
    for (const out of ["out.jsonl", "out.csv"]) {
      const summary = join(dir, `${out}.summary.json`);
      const r = await runCli(["run", file, "--include-input", "-q", "-o", join(dir, out), "--summary", summary], { env: simulator.env() });
      expect(r.stderr).not.toMatch(/RangeError|Maximum call stack/);
      expect(r.code).toBe(1);
      expect(JSON.parse(readFileSync(summary, "utf8"))).toMatchObject({ records: 3, ok: 2, invalid_input: 1 });
    }
    const lines = jsonLines(readFileSync(join(dir, "out.jsonl"), "utf8"));
    expect(lines.map((l) => l.id).sort()).toEqual(["a", "b", "c"]);
    const bad = lines.find((l) => l.id === "b")!;
    expect(bad.error).toMatchObject({ type: "invalid_input", line: 2 });
    expect(bad.error.message).toBe(`${file}:2: field "d" nests arrays/objects more than 1000 levels deep, counting the record as one (the most llmbatch reads)`);
  });

  it("through a template that renders the deep field: invalid_input, not an internal error", async () => {
    const r = await runCli(["run", file, "--template", "{{d}}", "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const bad = jsonLines(r.stdout).find((l) => l.id === "b")!;
    expect(bad.error).toMatchObject({ type: "invalid_input", line: 2 });
  });

  it("under --strict (exit 2, the line listed) and in estimate (counted invalid, no crash)", async () => {
    const strict = await runCli(["run", file, "--strict", "--template", "{{d}}", "-q"], { env: simulator.env() });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain(`${file}:2: field "d" nests arrays/objects more than 1000 levels deep`);
    expect(strict.stderr).not.toMatch(/RangeError|Maximum call stack/);
    const estimate = await runCli(["estimate", file, "--template", "{{d}}"]);
    expect(estimate.stderr).not.toMatch(/RangeError|Maximum call stack/);
    expect(estimate.code).toBe(0);
    expect(estimate.stdout).toMatch(/3 invalid lines would not be sent/);
  });
});

describe("a CSV row with a stray quote is one invalid_input line; the rows after it are read", () => {
  it("the issue's three-row file gives three lines", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.csv", 'text\n"ends"x\nafter one\nafter two\n');
    const r = await runCli(["run", file, "--template", "{{text}}", "-q", "--summary", join(dir, "s.json")], { env: simulator.env() });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    // The bad row has no readable id: it comes out under its line; the good rows under their content ids.
    expect(lines.map((l) => [l.id.startsWith("c:") ? "c:…" : l.id, l.ok]).sort()).toEqual([
      ["#line-2", false],
      ["c:…", true],
      ["c:…", true],
    ]);
    expect(new Set(lines.map((l) => l.id)).size).toBe(3);
    expect(lines.find((l) => l.id === "#line-2")!.error).toMatchObject({ type: "invalid_input", line: 2 });
    expect(JSON.parse(readFileSync(join(dir, "s.json"), "utf8"))).toMatchObject({ records: 3, stopped_reason: null });
  });

  it("a row with a stray quote keeps its readable id cell, so a resume finds it", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.csv", 'id,prompt\n1,say "hi" there\n2,say hello\n');
    const r = await runCli(["run", file, "-q", "--ordered"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const [bad, good] = jsonLines(r.stdout);
    expect(bad).toMatchObject({ id: "1", ok: false, error: { type: "invalid_input", line: 2 } });
    expect(bad!.error.message).toContain(`${file}:2: a quote inside an unquoted cell in column "prompt"`);
    expect(good).toMatchObject({ id: "2", ok: true });
  });

  it("a __proto__ column is refused before anything is sent (exit 2), instead of every row losing that cell", async () => {
    simulator.sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(dir, "in.csv", "id,__proto__,text\n1,x,hello\n");
    const r = await runCli(["run", file, "--template", "Say {{text}}"], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${file}: the header row names a column "__proto__", which cannot be read as a field`);
    expect(simulator.sim().stats().requests).toBe(0);
  });

  it("a ticket export with a broken closing quote mid-file: every other ticket runs, the broken one under its id", async () => {
    const r = await runCli(["run", "test/fixtures/tickets-stray-quote.csv", "--template", "Summarize: {{text}}", "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(Object.keys(byId).sort()).toEqual(["T-2001", "T-2002", "T-2003", "T-2004", "T-2005"]);
    for (const id of ["T-2001", "T-2002", "T-2004", "T-2005"]) expect(byId[id].ok).toBe(true);
    expect(byId["T-2003"].error).toMatchObject({ type: "invalid_input", line: 4 });
    expect(byId["T-2003"].error.message).toMatch(/^test\/fixtures\/tickets-stray-quote\.csv:4: a quoted cell in column "text" is closed by a quote followed by more text/);
  });

  it("a quote never closed ends the input: the last line, stderr and the summary say which lines were not read", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.csv", 'id,prompt\na,fine\nb,"never closed\nc,x\nd,y\n');
    const summary = join(dir, "s.json");
    const r = await runCli(["run", file, "-q", "--summary", summary], { env: simulator.env() });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.id).sort()).toEqual(["a", "b"]);
    const unread = `${file}:3: the quote opening a cell in column "prompt" is never closed, so the rest of the input, lines 3–5, could not be read as rows`;
    expect(lines.find((l) => l.id === "b")!.error.message).toContain(unread);
    expect(r.stderr).toContain(`warning: the input was not read to its end: ${unread}`);
    expect(JSON.parse(readFileSync(summary, "utf8")).stopped_reason).toContain(`input not read to its end: ${unread}`);
  });

  it("a row error names one line, the one the row starts on", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.tsv", 'id\tprompt\na\tone\nb\ttwo\nc\tthree\nd\t"two\nlines"\textra\ne\tlast\n');
    const r = await runCli(["run", file, "-q"], { env: simulator.env() });
    const bad = jsonLines(r.stdout).find((l) => l.id === "d")!;
    expect(bad.error.message).toBe(`${file}:5: the row has 3 cells, but the header has 2 columns (a cell holding a tab must be quoted)`);
  });
});

describe("lines that only look blank are records", () => {
  it("JSONL: U+00A0, U+3000 and a BOM alone mid-file are invalid_input lines naming the line; ASCII-blank lines are skipped", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", `${['{"id":"a","prompt":"one"}', "\u00a0", "  \t ", "\u3000", "\ufeff", "", '{"id":"z","prompt":"last"}'].join("\n")}\n`);
    const r = await runCli(["run", file, "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(5);
    const bad = lines.filter((l) => !l.ok).sort((x, y) => x.error.line - y.error.line);
    expect(bad.map((l) => l.error.line)).toEqual([2, 4, 5]);
    for (const l of bad) expect(l.error).toMatchObject({ type: "invalid_input", message: expect.stringMatching(new RegExp(`^${file}:${l.error.line}: invalid JSON: `)) });
    expect(bad[0]!.error.message).toContain("the line holds only U+00A0");
    expect(bad[2]!.error.message).toContain("the line holds only U+FEFF");
  });

  it("CSV: a row of only a U+00A0 cell is a row", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.csv", "text\nfirst\n\u00a0\nlast\n");
    const r = await runCli(["run", file, "--template", "Say: {{text}}", "-q", "--include-input"], { env: simulator.env() });
    expect(r.code).toBe(0);
    expect(
      jsonLines(r.stdout)
        .map((l) => l.input.text)
        .sort(),
    ).toEqual(["first", "last", "\u00a0"]);
  });
});

describe("CSV lines of only spaces and tabs are blank, whatever the column count", () => {
  it("one column, several columns, TSV: skipped unquoted, a row when quoted; line numbers stay the editor's", async () => {
    simulator.sim().resetStats();
    const dir = tempDir();
    const one = writeTemp(dir, "prompts.csv", 'prompt\n[[sim:echo]] a\n   \n\t\n[[sim:echo]] b\n"  "\n');
    const r = await runCli(["run", one, "-q", "--ordered", "--include-input"], { env: simulator.env() });
    expect(r.code).toBe(0);
    // The quoted blank cell was written on purpose: it is a record (a prompt of two spaces).
    expect(jsonLines(r.stdout).map((l) => l.input.prompt)).toEqual(["[[sim:echo]] a", "[[sim:echo]] b", "  "]);
    expect(simulator.sim().stats().requests).toBe(3);
    const many = writeTemp(dir, "tickets.tsv", "id\tprompt\tlang\nt1\t[[sim:echo]] one\tfr\n \t \t\n\t\t\nt2\t[[sim:echo]] two\tde\nt3\ttoo\tmany\tcells\n");
    const t = await runCli(["run", many, "-q", "--ordered"], { env: simulator.env() });
    expect(t.code).toBe(1);
    expect(jsonLines(t.stdout).map((l) => [l.id, l.output ?? l.error.line])).toEqual([
      ["t1", "one"],
      ["t2", "two"],
      ["t3", 6],
    ]);
  });
});

describe("a lone CR ends a JSONL line, as it ends a CSV row", () => {
  it("CR-only, CRLF and LF line ends, numbered as an editor numbers them", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", '{"id":"a","prompt":"one"}\r{"id":"b","prompt":"two"}\r\n\r{"id":"c","prompt":"three"}\n{"id":"d",\r');
    const r = await runCli(["run", file, "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(Object.keys(byId).sort()).toEqual(["#line-5", "a", "b", "c"]);
    for (const id of ["a", "b", "c"]) expect(byId[id].ok).toBe(true);
    expect(byId["#line-5"].error).toMatchObject({ type: "invalid_input", line: 5 });
  });
});

describe("output is well-formed UTF-8 JSON even when the input has lone surrogates", () => {
  it("the record is refused at the reader, naming the line and field; JSONL and CSV output decode strictly", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", '{"id":"\\ud800","prompt":"hi"}\n{"id":"b","prompt":"x\\udc00y"}\n{"id":"ok","prompt":"emoji \\ud83d\\ude00 pair"}\n');
    const r = await runCli(["run", file, "-q", "--include-input", "-o", join(dir, "out.jsonl")], { env: simulator.env() });
    expect(r.code).toBe(1);
    const lines = strictJsonLines(readFileSync(join(dir, "out.jsonl")));
    const byId = Object.fromEntries(lines.map((l) => [l.id, l]));
    expect(Object.keys(byId).sort()).toEqual(["#line-1", "b", "ok"]);
    expect(byId["#line-1"].error.message).toMatch(new RegExp(`^${file}:1: id holds a lone UTF-16 surrogate`));
    expect(byId.b.error.message).toMatch(new RegExp(`^${file}:2: prompt holds a lone UTF-16 surrogate`));
    expect(byId.ok.input.prompt).toBe("emoji \u{1f600} pair");

    const csv = await runCli(["run", file, "-q", "--include-input", "-o", join(dir, "out.csv")], { env: simulator.env() });
    expect(csv.code).toBe(1);
    const text = new TextDecoder("utf-8", { fatal: true }).decode(readFileSync(join(dir, "out.csv")));
    expect(text).not.toContain("\ufffd");
    expect(text.split("\r\n").filter((l) => l !== "")).toHaveLength(4);
  });
});

describe("deep YAML nesting says what is wrong and where", () => {
  it("validate: nested too deep at file:line:column, exit 2", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(dir, "p.yaml", `name: x\nsteps:\n  - id: a\n    method: generate\n    prompt: hi\n    schema: ${"[".repeat(5000)}${"]".repeat(5000)}\n`);
    const r = await runCli(["validate", pipeline]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${pipeline}:6:\\d+: nested too deep: the lists and mappings here are nested so many levels down`));
    expect(r.stderr).not.toContain("Maximum call stack");
    expect(r.stderr).toContain("1 problem");
  });
});

describe("a named pipe is read like stdin", () => {
  it.skipIf(process.platform === "win32")("run reads a FIFO once; --strict refuses it (exit 2) instead of hanging; a directory is refused", async () => {
    const dir = tempDir();
    const fifo = join(dir, "records.jsonl");
    execFileSync("mkfifo", [fifo]);
    const run = startCli(["run", fifo, "-q"], { env: simulator.env() });
    // Opening a FIFO for writing waits for its reader: the CLI.
    const writer = createWriteStream(fifo);
    writer.end('{"id":"p1","prompt":"from a pipe"}\n{"id":"p2","prompt":"second"}\n');
    const r = await run.done;
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(
      jsonLines(r.stdout)
        .map((l) => l.id)
        .sort(),
    ).toEqual(["p1", "p2"]);

    const strict = await runCli(["run", fifo, "--strict", "-q"], { env: simulator.env() });
    expect(strict.code).toBe(2);
    expect(strict.stderr).toContain("--strict reads the input twice (check, then run), so it needs a regular file, not stdin or a pipe");

    const folder = join(dir, "folder.jsonl");
    mkdirSync(folder);
    const refused = await runCli(["run", folder, "-q"], { env: simulator.env() });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`input "${folder}" is a directory`);
  });

  it.skipIf(process.platform === "win32")("a pipe path without an extension (as from <(generate)) is JSONL", async () => {
    const dir = tempDir();
    const fifo = join(dir, "63");
    execFileSync("mkfifo", [fifo]);
    const run = startCli(["run", fifo, "-q"], { env: simulator.env() });
    createWriteStream(fifo).end('{"id":"g1","prompt":"generated"}\n');
    const r = await run.done;
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.id)).toEqual(["g1"]);
  });
});
