import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, jsonl, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();

const latin1 = Buffer.from([0x63, 0x61, 0x66, 0xe9]); // "café" in Latin-1

describe("bad input: one output line per input record, the good ones still run", () => {
  it("JSONL with a BOM, CRLF line endings, a Latin-1 line and a 10 MB line", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const file = join(dir, "in.jsonl");
    const big = JSON.stringify({ id: "big", prompt: "word ".repeat(2_000_000) });
    expect(big.length).toBeGreaterThan(10_000_000);
    writeFileSync(
      file,
      Buffer.concat([
        Buffer.from(`\ufeff${JSON.stringify({ id: "first", prompt: "after the BOM" })}\r\n`),
        Buffer.from('{"id":"latin","prompt":"'),
        latin1,
        Buffer.from(`"}\r\n${big}\r\n${JSON.stringify({ id: "last", prompt: "fine" })}\r\n`),
      ]),
    );
    const r = await runCli(["run", file, "-q", "-c", "2"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(jsonLines(r.stdout).map((l) => [l.id, l]));
    // The Latin-1 line cannot be parsed, so its id is not readable: it comes out as `#line-2`.
    expect(Object.keys(byId).sort()).toEqual(["#line-2", "big", "first", "last"]);
    expect(byId.first.ok).toBe(true);
    expect(byId.last.ok).toBe(true);
    expect(byId["#line-2"].error).toMatchObject({ type: "invalid_input", line: 2 });
    expect(byId["#line-2"].error.message).toContain("in.jsonl:2: not valid UTF-8");
    // Read whole and sent; far over the model's context window, so the provider refuses it.
    expect(byId.big.error).toMatchObject({ type: "context_length", retriable: false });
  });

  it("CSV with quoted commas and newlines, CRLF endings and a Latin-1 row", async () => {
    const dir = tempDir();
    const file = join(dir, "in.csv");
    writeFileSync(file, Buffer.concat([Buffer.from('id,prompt\r\na,"one, two"\r\nb,"multi\r\nline"\r\nc,'), latin1, Buffer.from("\r\nd,last\r\n")]));
    const r = await runCli(["run", file, "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const byId = Object.fromEntries(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect(Object.keys(byId).sort()).toEqual(["a", "b", "c", "d"]);
    expect(byId.c.error).toMatchObject({ type: "invalid_input", line: 5 });
    expect(byId.c.error.message).toContain("in.csv:5: not valid UTF-8");
    for (const id of ["a", "b", "d"]) expect(byId[id].ok).toBe(true);
  });

  it("a pipeline file that is not valid YAML: file:line:column, exit 2, nothing sent", async () => {
    const dir = tempDir();
    const pipeline = writeTemp(dir, "p.yaml", "name: x\nsteps:\n  - id: a\n    prompt: [unclosed\n");
    simulator.sim().resetStats();
    const r = await runCli(["run", "samples/prompts.jsonl", "-p", pipeline], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`${pipeline}:\\d+:\\d+`));
    expect(r.stderr).toContain("YAML syntax error");
    expect(simulator.sim().stats().requests).toBe(0);
  });
});

describe("--strict", () => {
  it("checks the whole input first and refuses to start when any record is bad (exit 2, nothing sent)", async () => {
    const dir = tempDir();
    const lines = [
      JSON.stringify({ id: "a", text: "fine" }),
      "{broken",
      JSON.stringify({ id: "b", other: "no text field" }),
      JSON.stringify({ id: "a", text: "duplicate" }),
      JSON.stringify({ id: "c", text: "fine too" }),
    ];
    const file = writeTemp(dir, "in.jsonl", `${lines.join("\n")}\n`);
    simulator.sim().resetStats();
    const r = await runCli(["run", file, "--strict", "--template", "Summarize {{text}}"], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("--strict: 3 of 5 input records are bad; nothing was sent");
    expect(r.stderr).toContain(`${file}:2: invalid JSON`);
    expect(r.stderr).toContain(`${file}:3: template variable "text" is missing from the record`);
    expect(r.stderr).toContain(`${file}:4: duplicate id "a"`);
    expect(simulator.sim().stats().requests).toBe(0);
  });

  it("runs a clean input as usual, and refuses stdin (it cannot be read twice)", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: 1, prompt: "a" },
        { id: 2, prompt: "b" },
      ]),
    );
    const r = await runCli(["run", file, "--strict", "-q"], { env: simulator.env() });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(2);
    const piped = await runCli(["run", "-", "--strict"], { env: simulator.env(), stdin: jsonl([{ prompt: "a" }]) });
    expect(piped.code).toBe(2);
    expect(piped.stderr).toContain("--strict reads the input twice");
  });

  it("a --summary, --report or --metrics-file in a missing folder is a usage error before anything is sent", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl([{ id: 1, prompt: "hi" }]));
    for (const flag of ["--summary", "--report", "--metrics-file"]) {
      const target = join(dir, "no-such-folder", "file");
      const r = await runCli(["run", input, "-q", flag, target], { env: simulator.env() });
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain(`${flag} "${target}": the folder "${join(dir, "no-such-folder")}" does not exist; nothing was sent`);
    }
  });
});
