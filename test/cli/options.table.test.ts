import { readFileSync } from "node:fs";
import { join } from "node:path";
import { Option } from "commander";
import { describe, expect, it } from "vitest";
import { longFlag, RUN_OPTIONS } from "../../src/cli/options.js";
import { TYPICAL_OUTPUT } from "../../src/run/estimate.js";
import { ROOT, runCli } from "../helpers/cli.js";

const specs = Object.entries(RUN_OPTIONS);

describe("run's options, declared once", () => {
  it("each key is the name commander gives the option's value (what the typed flags read)", () => {
    for (const [key, spec] of specs) expect(new Option(spec.flags).attributeName(), spec.flags).toBe(key);
  });

  it("run --help and estimate --help list the table's flags; estimate accepts every one of them", async () => {
    const run = await runCli(["run", "--help"]);
    const estimate = await runCli(["estimate", "--help"]);
    for (const [, spec] of specs) {
      expect(run.stdout).toContain(longFlag(spec.flags));
      if (!("estimate" in spec && "ignored" in spec.estimate)) expect(estimate.stdout, spec.flags).toContain(longFlag(spec.flags));
    }
    expect(estimate.stdout).toContain("Every other flag of `run` is accepted too");
    // Every flag of run, each with a valid value, on one estimate command line: commander refuses none.
    const values: Record<string, string> = {
      format: "jsonl",
      provider: "openai",
      baseUrl: "http://127.0.0.1:9/v1",
      maxErrors: "5",
      temperature: "0",
      template: "Say hi",
      encoding: "utf-8",
      outputFormat: "csv",
      delimiter: ";",
      redis: "redis://127.0.0.1:6379",
      cacheMaxSize: "2GB",
      cacheTtl: "30d",
      batchFallback: "sync",
    };
    // Left out: the two that read a file, and the two that need an -o file to resume.
    const skip = new Set(["pipeline", "prices", "resume", "retryFailed"]);
    const all = specs.filter(([key]) => !skip.has(key)).flatMap(([key, spec]) => (spec.flags.includes("<") ? [longFlag(spec.flags), values[key] ?? "7"] : [longFlag(spec.flags)]));
    const r = await runCli(["estimate", "samples/prompts.jsonl", ...all]);
    expect(r.stderr).not.toContain("unknown option");
    expect(r.code).toBe(0);
    // --template makes the file's two request-body lines invalid_input (a template never replaces a line's own conversation).
    const estimate_ = JSON.parse(r.stdout);
    expect([estimate_.records, estimate_.invalid_records]).toEqual([5, 2]);
  });

  it("the run table in docs/cli.md has a row for every flag", () => {
    const doc = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
    const from = doc.indexOf("\n## `llmbatch run <input> [options]`\n");
    const to = doc.indexOf("\n### ", from);
    expect(from).toBeGreaterThanOrEqual(0);
    expect(to).toBeGreaterThan(from);
    const table = doc.slice(from, to);
    for (const [, spec] of specs) expect(table, spec.flags).toContain(`\`${spec.flags.replace(/ <.*$/, "")}`);
  });

  it("--include-input says what the output really is; --assume-output states the typical length the estimate uses", () => {
    expect(RUN_OPTIONS.includeInput.help).not.toContain("a CSV in gives a CSV out");
    expect(RUN_OPTIONS.includeInput.help).toContain("never the input");
    expect(RUN_OPTIONS.assumeOutput.help).toContain(`at most ${TYPICAL_OUTPUT.atMost}`);
    expect(TYPICAL_OUTPUT.fraction).toBe(0.5); // the help says "half"
    expect(RUN_OPTIONS.assumeOutput.help).toContain("half of each call's max_tokens");
  });
});
