import { describe, expect, it } from "vitest";
import { jsonLines, jsonl, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();

describe("bad input never takes the good records down", () => {
  it("turns a malformed line, a record without a prompt and a duplicate id into invalid_input lines (exit 1)", async () => {
    const dir = tempDir();
    const text = `${[
      JSON.stringify({ id: "a", prompt: "fine" }),
      "{not json",
      JSON.stringify({ id: "b", other: 1 }),
      JSON.stringify({ id: "a", prompt: "again" }),
      JSON.stringify({ id: "c", prompt: "fine too" }),
    ].join("\n")}\n`;
    const file = writeTemp(dir, "in.jsonl", text);
    const r = await runCli(["run", file, "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(5);
    const bad = lines.filter((l) => !l.ok);
    expect(bad.every((l) => l.error.type === "invalid_input")).toBe(true);
    expect(bad.map((l) => l.error.line).sort()).toEqual([2, 3, 4]);
    expect(bad.find((l) => l.error.line === 2)!.error.message).toContain("in.jsonl:2");
    expect(bad.find((l) => l.error.line === 4)!.error.message).toMatch(/duplicate id "a".*line 1/);
    expect(bad.find((l) => l.error.line === 3)!.error.message).toMatch(/prompt/);
    expect(
      lines
        .filter((l) => l.ok)
        .map((l) => l.id)
        .sort(),
    ).toEqual(["a", "c"]);
  });

  it("reports a template variable missing from a record with its line", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "in.jsonl",
      jsonl([
        { id: 1, text: "x" },
        { id: 2, body: "y" },
      ]),
    );
    const r = await runCli(["run", file, "--template", "Summarize {{text}}", "-q"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const bad = jsonLines(r.stdout).find((l) => l.id === "2")!;
    expect(bad.error.type).toBe("invalid_input");
    expect(bad.error.message).toContain('"text"');
    expect(bad.error.message).toContain("line 2");
  });
});

describe("usage errors exit 2 before anything is sent", () => {
  it.each([
    [["--rpm", "ten"], /--rpm must be a positive integer, got "ten"/],
    [["--rpm", "0"], /--rpm must be a positive integer, got "0"/],
    [["--temperature", "3"], /--temperature/],
    [["--format", "xml"], /--format must be one of/],
  ])("rejects %j", async (flags, message) => {
    simulator.sim().resetStats();
    const r = await runCli(["run", "samples/prompts.jsonl", ...(flags as string[])], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message as RegExp);
    expect(r.stdout).toBe("");
    expect(simulator.sim().stats().requests).toBe(0);
  });

  it("names the file, line and column of a pipeline problem", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "p.yaml", "name: x\nmodle: gpt-4o-mini\nsteps:\n  - id: a\n    method: generate\n    prompt: hi\n");
    const r = await runCli(["run", "samples/prompts.jsonl", "-p", file], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}:2:1`);
    expect(r.stderr).toContain('"modle"');
  });

  it("names a missing input file", async () => {
    const r = await runCli(["run", "nope/missing.jsonl"], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("nope/missing.jsonl");
  });

  it("reports an empty input", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "empty.jsonl", "");
    const r = await runCli(["run", file, "-q"], { env: simulator.env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("no records");
  });
});
