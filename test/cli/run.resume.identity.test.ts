import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, readJsonlFile, ROOT, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const KEY = "sk-resume-identity-key";
let sim: SimulatorHandle;
let env: Record<string, string>;
/** A key the simulator refuses: the run stops at once (exit 3) and every record is left not attempted. */
let wrongKey: Record<string, string>;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: KEY });
  env = { OPENAI_API_KEY: KEY, OPENAI_BASE_URL: sim.openaiBaseUrl };
  wrongKey = { ...env, OPENAI_API_KEY: "sk-wrong-key-000000" };
});
afterAll(() => sim.close());

const REVIEWS = readFileSync(join(ROOT, "test/fixtures/reviews-no-id.csv"), "utf8");
const SUMMARIZE = ["--template", "Summarize this review: {{review_text}}"];
const rows = (csv: string) => parse(csv, { columns: true }) as Record<string, string>[];

describe("--resume of records without ids: identified by content, not by line", () => {
  it("after a row is inserted at the top, sends only the new row, and every record's ok line is its own", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "reviews.csv", REVIEWS);
    const out = join(dir, "out.jsonl");
    sim.resetStats();
    expect((await runCli(["run", input, "-o", out, "-q", "--include-input", ...SUMMARIZE], { env })).code).toBe(0);
    expect(sim.stats().requests).toBe(6);

    const [header, ...body] = REVIEWS.trimEnd().split("\n");
    const inserted = '1095,39,New arrival,"Runs small, order a size up. Lovely colour though.",4,1';
    writeFileSync(input, `${[header, inserted, ...body].join("\n")}\n`);
    sim.resetStats();
    const resumed = await runCli(["run", input, "-o", out, "--resume", "-q", "--include-input", ...SUMMARIZE], { env });
    expect(resumed.code).toBe(0);
    expect(sim.stats().requests).toBe(1);

    const lines = readJsonlFile(out);
    expect(lines).toHaveLength(7);
    expect(lines[6]!.input.review_text).toBe("Runs small, order a size up. Lovely colour though.");
    // No record counts as done through another record's line: each row has exactly one ok line,
    // and that line's input is the row itself (the two identical rows have two such lines).
    const okLines = lines.filter((l) => l.ok);
    expect(new Set(okLines.map((l) => l.id)).size).toBe(okLines.length);
    const count = (values: string[]) => values.reduce((m, v) => m.set(v, (m.get(v) ?? 0) + 1), new Map<string, number>());
    expect(count(okLines.map((l) => JSON.stringify(l.input)))).toEqual(count(rows(readFileSync(input, "utf8")).map((r) => JSON.stringify(r))));
  });

  it("refuses a results file an earlier version wrote with line-number ids (exit 2, untouched, nothing sent); --force resumes", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl([{ prompt: "Say one" }, { prompt: "Say two" }, { prompt: "Say three" }]));
    const out = join(dir, "out.jsonl");
    expect((await runCli(["run", input, "-o", out, "-q"], { env: wrongKey })).code).toBe(3);
    // What the earlier version left: line numbers as ids, and a sidecar without id_rule.
    const old = readJsonlFile(out).map((l, i) => JSON.stringify({ ...l, id: String(i + 1) }));
    writeFileSync(out, `${old.join("\n")}\n`);
    const meta = JSON.parse(readFileSync(`${out}.meta.json`, "utf8"));
    expect(meta.id_rule).toBe(2);
    delete meta.id_rule;
    writeFileSync(`${out}.meta.json`, JSON.stringify(meta));
    const before = readFileSync(out);

    sim.resetStats();
    const refused = await runCli(["run", input, "-o", out, "--resume", "-q"], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`cannot resume "${out}": it was written by an earlier llmbatch, which gave a record without an id its line number as id (${out}:1 has id "1")`);
    expect(refused.stderr).toContain("pass --force if every input record has an id of its own");
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(sim.stats().requests).toBe(0);

    const forced = await runCli(["run", input, "-o", out, "--resume", "--force", "-q"], { env });
    expect(forced.code).toBe(0);
    expect(sim.stats().requests).toBe(3);
    expect(JSON.parse(readFileSync(`${out}.meta.json`, "utf8")).id_rule).toBe(2);
  });

  it("resumes an earlier version's file whose ids are all the user's, and records the id rule", async () => {
    const dir = tempDir();
    const input = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: "req-1", prompt: "Say one" },
        { id: "req-2", prompt: "Say two" },
      ]),
    );
    const out = join(dir, "out.jsonl");
    expect((await runCli(["run", input, "-o", out, "-q"], { env: wrongKey })).code).toBe(3);
    const meta = JSON.parse(readFileSync(`${out}.meta.json`, "utf8"));
    delete meta.id_rule;
    writeFileSync(`${out}.meta.json`, JSON.stringify(meta));
    sim.resetStats();
    expect((await runCli(["run", input, "-o", out, "--resume", "-q"], { env })).code).toBe(0);
    expect(sim.stats().requests).toBe(2);
    expect(JSON.parse(readFileSync(`${out}.meta.json`, "utf8")).id_rule).toBe(2);
  });
});

describe("--resume of CSV output keeps the file's columns", () => {
  async function unfinished(dir: string, flags: string[]): Promise<{ input: string; out: string }> {
    const input = writeTemp(dir, "reviews.csv", REVIEWS);
    const out = join(dir, "out.csv");
    expect((await runCli(["run", input, "-o", out, "-q", ...SUMMARIZE, ...flags], { env: wrongKey })).code).toBe(3);
    return { input, out };
  }

  /** Every row has the header's cell count: csv-parse throws otherwise, as pandas does. */
  const strictRows = (path: string) => parse(readFileSync(path, "utf8"), { columns: true, relax_column_count: false }) as Record<string, string>[];

  it("refuses --include-input on a file written without it (exit 2, untouched, nothing sent)", async () => {
    const { input, out } = await unfinished(tempDir(), []);
    const before = readFileSync(out);
    sim.resetStats();
    const r = await runCli(["run", input, "-o", out, "--resume", "-q", "--include-input", ...SUMMARIZE], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`cannot resume "${out}" with --include-input: it has no input columns`);
    expect(r.stderr).toContain("resume without --include-input, or write to a new -o file");
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(sim.stats().requests).toBe(0);
  });

  it("refuses a resume without --include-input on a file with input columns, and resumes with it", async () => {
    const { input, out } = await unfinished(tempDir(), ["--include-input"]);
    const before = readFileSync(out);
    sim.resetStats();
    const without = await runCli(["run", input, "-o", out, "--resume", "-q", ...SUMMARIZE], { env });
    expect(without.code).toBe(2);
    expect(without.stderr).toContain("it has input columns (clothing_id, age, title, review_text, rating, recommended_ind) that the new rows would leave empty");
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(sim.stats().requests).toBe(0);

    const same = await runCli(["run", input, "-o", out, "--resume", "-q", "--include-input", ...SUMMARIZE], { env });
    expect(same.code).toBe(0);
    const all = strictRows(out);
    expect(all).toHaveLength(12);
    expect(all.filter((r) => r.ok === "true").map((r) => r.review_text)).toEqual(rows(REVIEWS).map((r) => r.review_text));
  });

  it("refuses when the input gained a column the file has no room for, before sending", async () => {
    const { input, out } = await unfinished(tempDir(), ["--include-input"]);
    writeFileSync(input, REVIEWS.replace("recommended_ind\n", "recommended_ind,division\n").replace(/,([01])\n/g, ",$1,General\n"));
    sim.resetStats();
    const r = await runCli(["run", input, "-o", out, "--resume", "-q", "--include-input", ...SUMMARIZE], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("the input has field division that the file has no column for");
    expect(sim.stats().requests).toBe(0);
    strictRows(out);
  });

  it("continues a file an earlier version started with fewer result columns, in its columns, with a warning", async () => {
    const dir = tempDir();
    const { input, out } = await unfinished(dir, ["--include-input"]);
    // An earlier version without the cached_tokens column: drop it from every row.
    const table = parse(readFileSync(out, "utf8")) as string[][];
    const at = table[0]!.indexOf("cached_tokens");
    const older = join(dir, "older.csv");
    writeFileSync(
      older,
      `${table
        .map((cells) =>
          cells
            .filter((_, i) => i !== at)
            .map((c) => (/[",\n]/.test(c) ? `"${c.replaceAll('"', '""')}"` : c))
            .join(","),
        )
        .join("\r\n")}\r\n`,
    );
    copyFileSync(`${out}.meta.json`, `${older}.meta.json`);
    const r = await runCli(["run", input, "-o", older, "--resume", "-q", "--include-input", ...SUMMARIZE], { env });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("started this file without the column cached_tokens; the resumed rows keep its columns");
    const all = strictRows(older);
    expect(all).toHaveLength(12);
    expect(Object.keys(all[11]!)).not.toContain("cached_tokens");
    expect(all[11]).toMatchObject({ ok: "true", review_text: rows(REVIEWS)[5]!.review_text });
  });
});
