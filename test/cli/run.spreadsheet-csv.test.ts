/**
 * CSV files as pandas, Excel and databases export them, run as they are: column names with spaces
 * in templates, semicolons and tabs, unused trailing columns and short rows, Windows-1252 and
 * UTF-16. Each run's outputs are compared with the simulator's replies to the prompts expected from
 * the right columns, which proves what the simulator received.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { beforeEach, describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";
import { repliesTo } from "../helpers/sim-reply.js";

const simulator = useSimulator();
const MODEL = "gpt-4o-mini";
const fixture = (name: string) => join(ROOT, "test/fixtures", name);

beforeEach(() => simulator.sim().resetStats());

/** Output lines in input order (ids of these fixtures are their row's own id or its line). */
function byId(stdout: string): Map<string, Record<string, any>> {
  return new Map(jsonLines(stdout).map((l) => [String(l.id), l]));
}

describe("a pandas export: header names with spaces and colons, multi-line quoted reviews", () => {
  const file = fixture("clothing-reviews-pandas.csv");
  const rows = parse(readFileSync(file, "utf8"), { columns: true }) as Record<string, string>[];
  const template = 'Review #{{Unnamed: 0}} titled "{{Title}}" ({{ Rating }} stars, {{Department Name}}):\n{{Review Text}}';
  const prompt = (r: Record<string, string>) => `Review #${r["Unnamed: 0"]} titled "${r.Title}" (${r.Rating} stars, ${r["Department Name"]}):\n${r["Review Text"]}`;

  it("renders {{Review Text}} and {{Unnamed: 0}} from their columns and sends exactly those prompts", async () => {
    const r = await runCli(["run", file, "--template", template, "-m", MODEL, "-q", "--ordered"], { env: simulator.env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(simulator.sim().stats().requests).toBe(rows.length);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(8);
    expect(rows[1]!["Review Text"]).toContain("\n\nI bought a petite and am 5'8\".");
    expect(lines.map((l) => l.output)).toEqual(await repliesTo(simulator.sim(), MODEL, rows.map(prompt)));
  });

  it("refuses a template naming no column before sending anything: exit 2, the columns, the closest one", async () => {
    const r = await runCli(["run", file, "--template", "Summarize: {{review_text}} ({{rating}}, {{id}})", "-m", MODEL], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(simulator.sim().stats().requests).toBe(0);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain(`${file}: the header row does not have what the pipeline reads; nothing was sent`);
    expect(r.stderr).toContain("--template reads {{review_text}}, but there is no such column (did you mean {{Review Text}}?)");
    expect(r.stderr).toContain("--template reads {{rating}}, but there is no such column (did you mean {{Rating}}?)");
    expect(r.stderr).toContain('the columns are: "Unnamed: 0", "Clothing ID", "Age", "Title", "Review Text", "Rating"');
  });

  it("refuses it in estimate too, and in --dry-run", async () => {
    for (const args of [
      ["estimate", file],
      ["run", file, "--dry-run"],
    ]) {
      const r = await runCli([...args, "--template", "{{Review}}"], { env: simulator.env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--template reads {{Review}}, but there is no such column (did you mean {{Review Text}}?)");
    }
  });

  it("says a CSV without a prompt column needs --template, instead of failing every row", async () => {
    const r = await runCli(["run", file, "-m", MODEL], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(simulator.sim().stats().requests).toBe(0);
    expect(r.stderr).toContain(`there is no "prompt" column to send as each row's prompt: build the prompt from the columns with --template, e.g. --template 'Summarize: {{Clothing ID}}'`);
  });
});

describe("a pipeline's templates are checked against the header, every step", () => {
  it("names the step and the template; step outputs, {{id}} and a convert step's {{value}} are not columns", async () => {
    const dir = tempDir();
    const csv = writeTemp(dir, "tickets.csv", "ticket_id,review_text,product\n1,Broke after a day,kettle\n");
    const pipeline = writeTemp(
      dir,
      "p.yaml",
      [
        "name: triage",
        "steps:",
        "  - id: summary",
        "    method: generate",
        "    system: 'You triage {{product}} tickets ({{id}}).'",
        "    prompt: 'Summarize: {{review}}'",
        "  - id: label",
        "    method: generate",
        "    messages:",
        "      - role: user",
        "        content: 'Label {{steps.summary.output}} for {{prodct}}'",
        "  - id: tidy",
        "    method: convert",
        "    template: '{{value}} / {{ticket}}'",
        "",
      ].join("\n"),
    );
    const r = await runCli(["run", csv, "-p", pipeline, "-m", MODEL], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(simulator.sim().stats().requests).toBe(0);
    const listed = r.stderr.split("\n").filter((l) => l.startsWith("  step"));
    expect(listed).toEqual([
      '  step "summary" prompt reads {{review}}, but there is no such column (did you mean {{review_text}}?)',
      '  step "label" messages[0] reads {{prodct}}, but there is no such column (did you mean {{product}}?)',
      '  step "tidy" ops[0] template reads {{ticket}}, but there is no such column (did you mean {{ticket_id}}?)',
    ]);
  });

  it("leaves JSON Lines as today: no header, so each record that lacks the field fails on its own", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", '{"review":"fine"}\n{"text":"other"}\n');
    const r = await runCli(["run", file, "--template", "{{review}}", "-m", MODEL, "-q", "--ordered"], { env: simulator.env() });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).map((l) => [l.ok, l.error?.type ?? null])).toEqual([
      [true, null],
      [false, "invalid_input"],
    ]);
  });
});

describe("an Excel export: semicolons, Windows-1252, unused trailing columns, short rows", () => {
  const file = fixture("airline-tweets-excel-cp1252.csv");
  const bytes = readFileSync(file);
  // Decoded here with the fixture's own characters, independently of llmbatch's table (this Node's
  // TextDecoder("windows-1252") drops 0x80–0x9F instead of decoding them).
  const cp1252: Record<number, string> = { 128: "€", 133: "…", 146: "’", 147: "“", 148: "”", 149: "•", 150: "–" };
  const text = [...bytes].map((b) => cp1252[b] ?? String.fromCharCode(b)).join("");
  const rows = parse(text, { delimiter: ";", relax_column_count: true }) as string[][];
  const template = "Tweet by {{name}} to {{airline}} ({{tweet_created}}): {{text}}";
  const prompt = (r: string[]) => `Tweet by ${r[3]} to ${r[2]} (${r[5]}): ${r[4]}`;

  it("is really Windows-1252 with curly quotes, a euro sign and accents, and not UTF-8", () => {
    for (const b of [0x93, 0x94, 0x92, 0x80, 0x96, 0xe9, 0xeb]) expect(bytes.includes(b)).toBe(true);
    expect(Buffer.from(text, "utf8").equals(bytes)).toBe(false);
    expect(text).toContain("“entertainment”");
    expect(text).toContain("€20");
  });

  it("runs with --encoding windows-1252: delimiter sniffed and said, accents and quotes intact, the row with a note in an unnamed column refused", async () => {
    const r = await runCli(["run", file, "--encoding", "windows-1252", "--template", template, "-m", MODEL, "--ordered"], { env: simulator.env() });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}: cells are separated by a semicolon, as sniffed from the header row (--delimiter sets it)`);
    const lines = byId(r.stdout);
    expect(lines.size).toBe(8);
    const data = rows.slice(1);
    const sent = data.filter((row) => row[0] !== "570300248553349120");
    expect(simulator.sim().stats().requests).toBe(7);
    const replies = await repliesTo(simulator.sim(), MODEL, sent.map(prompt));
    // Rows without an id column get their line number as id; the id helper may change that, not the order.
    const ok = jsonLines(r.stdout).filter((l) => l.ok);
    expect(ok.map((l) => l.output)).toEqual(replies);
    expect(sent.map(prompt).join("\n")).toContain("José Núñez");
    const refused = jsonLines(r.stdout).filter((l) => !l.ok);
    expect(refused).toHaveLength(1);
    expect(refused[0]!.error).toMatchObject({ type: "invalid_input", line: 8 });
    expect(refused[0]!.error.message).toBe(
      `${file}:8: cell 8 holds "see ticket 88", but column 8 has no name in the header row (an empty header cell at the end of the header, as spreadsheets export unused columns, is read only when its cells are empty): name the column, or empty the cell`,
    );
  });

  it("without --encoding, each accented row says to use --encoding windows-1252; the ASCII rows run", async () => {
    const r = await runCli(["run", file, "--template", template, "-m", MODEL, "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const failed = jsonLines(r.stdout).filter((l) => !l.ok && l.error.message.includes("not valid UTF-8"));
    expect(failed.map((l) => l.error.line).sort((a, b) => a - b)).toEqual([4, 5, 6, 7, 8, 9]);
    for (const l of failed) expect(l.error.message).toContain("the bytes look like Windows-1252 (Latin-1), as Excel and older Windows programs save text; run with --encoding windows-1252");
    expect(simulator.sim().stats().requests).toBe(2);
  });

  it("reads a pipeline's input: block (delimiter and encoding), and --delimiter wins over it", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(dir, "p.yaml", `name: tweets\ninput:\n  delimiter: ";"\n  encoding: cp1252\nsteps:\n  - id: s\n    method: generate\n    prompt: '${template}'\n`);
    const r = await runCli(["run", file, "-p", pipeline, "-m", MODEL, "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    expect(jsonLines(r.stdout).filter((l) => l.ok)).toHaveLength(7);
    const wrong = await runCli(["run", file, "-p", pipeline, "-m", MODEL, "-q", "--delimiter", ","], { env: simulator.env() });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('the columns are: "tweet_id;airline_sentiment;airline;name;text;tweet_created;;"');
    expect(wrong.stderr).toContain('step "s" prompt reads {{name}}, but there is no such column\n');
    expect(wrong.stderr).toContain("the header is one column holding a semicolon: if that separates the columns, run with --delimiter ';'");
  });
});

describe("delimiters: sniffed, implied, explicit", () => {
  it("reads a TSV by its extension and a tab-separated .csv by sniffing; a quote inside a TSV cell is text", async () => {
    const tsv = fixture("support-tickets.tsv");
    const content = readFileSync(tsv, "utf8");
    const rows = parse(content, { columns: true, delimiter: "\t", relax_quotes: true }) as Record<string, string>[];
    const expected = await repliesTo(
      simulator.sim(),
      MODEL,
      rows.map((x) => `[${x.priority}] ${x.subject}: ${x.body}`),
    );
    const asCsv = writeTemp(tempDir(), "tickets.csv", content);
    for (const [file, note] of [
      [tsv, false],
      [asCsv, true],
    ] as const) {
      const r = await runCli(["run", file, "--template", "[{{priority}}] {{subject}}: {{body}}", "-m", MODEL, "--ordered"], { env: simulator.env() });
      expect(r.code).toBe(0);
      expect(r.stderr.includes("cells are separated by a tab, as sniffed from the header row")).toBe(note);
      expect(jsonLines(r.stdout).map((l) => l.output)).toEqual(expected);
    }
  });

  it("--delimiter wins over the sniff, and makes stdin CSV without --format", async () => {
    // A comma and a semicolon both split this header in two; the sniff takes the comma.
    const content = "a,b;c\n1,2;3\n";
    const sniffed = await runCli(["run", "-", "--format", "csv", "--template", "{{c}}", "-m", MODEL], { env: simulator.env(), stdin: content });
    expect(sniffed.code).toBe(2);
    expect(sniffed.stderr).toContain('the columns are: "a", "b;c"');
    const explicit = await runCli(["run", "-", "--delimiter", ";", "--template", "{{a,b}} and {{c}}", "-m", MODEL, "-q"], { env: simulator.env(), stdin: content });
    expect(explicit.code).toBe(0);
    expect(jsonLines(explicit.stdout).map((l) => l.output)).toEqual(await repliesTo(simulator.sim(), MODEL, ["1,2 and 3"]));
  });

  it("refuses a delimiter it cannot use", async () => {
    const file = fixture("support-tickets.tsv");
    for (const [args, message] of [
      [["--delimiter", ";;"], `--delimiter must be one character such as "," ";" "|", or "\\t" (or "tab") for a tab; not a quote, a letter or a digit, got ";;"`],
      [["--delimiter", '"'], "--delimiter must be one character"],
      [["--encoding", "ebcdic"], '--encoding must be one of utf-8, windows-1252 (cp1252), latin1 (iso-8859-1), utf-16, utf-16le, utf-16be, got "ebcdic"'],
    ] as const) {
      const r = await runCli(["run", file, ...args, "--template", "{{id}}"], { env: simulator.env() });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(message);
    }
    expect(simulator.sim().stats().requests).toBe(0);
  });

  it("reports a bad input: block at its file:line:column", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(dir, "p.yaml", 'name: x\ninput:\n  delimiter: "ab"\n  encoding: ebcdic\n  format: csv\nsteps:\n  - id: s\n    method: generate\n    prompt: "{{a}}"\n');
    const r = await runCli(["validate", pipeline]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${pipeline}:3:14: input.delimiter must be one character such as`);
    expect(r.stderr).toContain(`${pipeline}:4:13: input.encoding must be one of utf-8, windows-1252`);
    expect(r.stderr).toMatch(new RegExp(`${pipeline}:5:3: .*format`));
  });
});

describe("a CSV piped into run - without --format", () => {
  it("exits 2 before sending anything, saying --format csv", async () => {
    const csv = readFileSync(fixture("clothing-reviews-pandas.csv"), "utf8");
    const r = await runCli(["run", "-", "--template", "{{Review Text}}", "-m", MODEL], { env: simulator.env(), stdin: csv });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(simulator.sim().stats().requests).toBe(0);
    expect(r.stderr).toContain(
      '<stdin> is read as JSON Lines, but its first line is not JSON and looks like a CSV header ("Unnamed: 0,Clothing ID,Age,Title,Review Text,Rating,Recommended IND,Positive ...")',
    );
    expect(r.stderr).toContain("add --format csv; nothing was sent");
    const tsv = await runCli(["run", "-", "-m", MODEL], { env: simulator.env(), stdin: readFileSync(fixture("support-tickets.tsv"), "utf8") });
    expect(tsv.code).toBe(2);
    expect(tsv.stderr).toContain("add --format tsv");
  });

  it("still reads a JSON Lines input whose first line is broken, reporting that line", async () => {
    for (const first of ['{"prompt": "a",', "hello, world"]) {
      const r = await runCli(["run", "-", "-m", MODEL, "-q"], { env: simulator.env(), stdin: `${first}\n{"prompt":"b"}\n{"prompt":"c"}\n` });
      expect(r.code).toBe(1);
      expect(jsonLines(r.stdout).map((l) => [l.ok, l.error?.line ?? null])).toEqual([
        [false, 1],
        [true, null],
        [true, null],
      ]);
    }
  });
});

describe("UTF-16, as Excel's 'Unicode Text' saves", () => {
  const text = "id\tname\tnote\n1\tZoë\t“smart” quotes \u{1f600}\n2\tŁukasz\tnaïve café\n";
  const prompts = ["Zoë: “smart” quotes \u{1f600}", "Łukasz: naïve café"];

  it("reads UTF-16LE by its byte order mark, whatever --encoding says", async () => {
    const dir = tempDir();
    const file = join(dir, "export.tsv");
    const withBom = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, "utf16le")]);
    writeFileSync(file, withBom);
    const expected = await repliesTo(simulator.sim(), MODEL, prompts);
    for (const extra of [[], ["--encoding", "windows-1252"]]) {
      const r = await runCli(["run", file, ...extra, "--template", "{{name}}: {{note}}", "-m", MODEL, "--ordered"], { env: simulator.env() });
      expect(r.code).toBe(0);
      expect(jsonLines(r.stdout).map((l) => l.output)).toEqual(expected);
      expect(r.stderr.includes("starts with a utf-16le byte order mark, so it is read as utf-16le, not windows-1252")).toBe(extra.length > 0);
    }
  });

  it("reads UTF-16 without a byte order mark with --encoding, and says to use it when it is missing", async () => {
    const dir = tempDir();
    const le = join(dir, "le.tsv");
    const be = join(dir, "be.tsv");
    writeFileSync(le, Buffer.from(text, "utf16le"));
    writeFileSync(be, Buffer.from(text, "utf16le").swap16());
    const expected = await repliesTo(simulator.sim(), MODEL, prompts);
    for (const [file, encoding] of [
      [le, "utf-16le"],
      [be, "utf-16be"],
    ] as const) {
      const ok = await runCli(["run", file, "--encoding", encoding, "--template", "{{name}}: {{note}}", "-m", MODEL, "--ordered", "-q"], { env: simulator.env() });
      expect(ok.code).toBe(0);
      expect(jsonLines(ok.stdout).map((l) => l.output)).toEqual(expected);
      const missing = await runCli(["run", file, "--template", "{{name}}", "-m", MODEL], { env: simulator.env() });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toContain(`${file}: the input looks like ${encoding.toUpperCase()} text without a byte order mark (every other byte is 0); run with --encoding ${encoding}`);
    }
  });

  it("reads JSON Lines in Windows-1252 with --encoding latin1", async () => {
    const dir = tempDir();
    const file = join(dir, "in.jsonl");
    writeFileSync(file, Buffer.from([...Buffer.from('{"prompt":"caf'), 0xe9, 0x20, 0x93, 0x71, 0x94, ...Buffer.from('"}\n')]));
    const r = await runCli(["run", file, "--encoding", "latin1", "-m", MODEL, "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.output)).toEqual(await repliesTo(simulator.sim(), MODEL, ["café “q”"]));
  });
});

describe("an encoding that does not fit the file is said, not sent garbled", () => {
  it("warns once, naming the line, when a UTF-8 file is read as Windows-1252 (flag or pipeline)", async () => {
    const dir = tempDir();
    // A UTF-8 export: line 2 is ASCII, line 3 has the first accent.
    const file = writeTemp(dir, "reviews.csv", "id,review\n1,Fits well\n2,Lovely café dress\n3,Naïve “design” but comfy\n");
    const r = await runCli(["run", file, "--encoding", "windows-1252", "--template", "Summarize: {{review}}", "-m", MODEL, "--ordered"], { env: simulator.env() });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.startsWith("warning:"));
    expect(warnings).toEqual([
      `warning: ${file}:3: read as Windows-1252, but its bytes c3 a9 are the UTF-8 for "é", which Windows-1252 reads as "Ã©": if the file is UTF-8, read it as UTF-8 (drop --encoding windows-1252, or the pipeline's input.encoding), or its text is sent garbled`,
    ]);
    const pipeline = writeTemp(dir, "p.yaml", `name: reviews\nmodel: ${MODEL}\ninput:\n  encoding: latin1\nsteps:\n  - id: s\n    method: generate\n    prompt: 'Summarize: {{review}}'\n`);
    const viaPipeline = await runCli(["run", file, "-p", pipeline, "-q"], { env: simulator.env() });
    expect(viaPipeline.code).toBe(0);
    expect(viaPipeline.stderr).toContain(`warning: ${file}:3: read as Windows-1252, but its bytes c3 a9`);
    // A real Windows-1252 file says nothing.
    const real = await runCli(["run", fixture("airline-tweets-excel-cp1252.csv"), "--encoding", "windows-1252", "--template", "{{text}}", "-m", MODEL, "-q"], { env: simulator.env() });
    expect(real.stderr).not.toContain("read as Windows-1252, but");
  });

  it("a lone surrogate in a UTF-16 file is said to be one, at its line, in CSV and JSON Lines", async () => {
    const dir = tempDir();
    const utf16 = (...parts: (string | number[])[]) => Buffer.concat([Buffer.from([0xff, 0xfe]), ...parts.map((p) => (typeof p === "string" ? Buffer.from(p, "utf16le") : Buffer.from(p)))]);
    const csv = join(dir, "export.tsv");
    writeFileSync(csv, utf16("id\tnote\n1\tfine\n2\tcut ", [0x3d, 0xd8], " emoji\n3\talso fine\n"));
    const jsonl = join(dir, "export.jsonl");
    writeFileSync(jsonl, utf16('{"id":"1","prompt":"fine"}\n{"id":"2","prompt":"cut ', [0x3d, 0xd8], ' emoji"}\n'));
    // The CSV's bad row is line 3 (after the header) and keeps its id; the JSONL line 2 cannot be parsed, so it is `#line-2`.
    for (const [file, extra, id, line] of [
      [csv, ["--template", "{{note}}"], "2", 3],
      [jsonl, [], "#line-2", 2],
    ] as const) {
      const r = await runCli(["run", file, ...extra, "-m", MODEL, "-q", "--ordered"], { env: simulator.env() });
      expect(r.code).toBe(1);
      const bad = byId(r.stdout).get(id)!;
      expect(bad.error.type).toBe("invalid_input");
      expect(bad.error.message).toContain(`${file}:${line}: not valid UTF-16: a lone UTF-16 surrogate at line ${line}`);
      expect(bad.error.message).not.toContain("Windows-1252");
    }
  });
});
