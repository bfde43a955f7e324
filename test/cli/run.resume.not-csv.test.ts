/**
 * `--resume` of a CSV (or TSV) results file that is not valid CSV is a usage error naming the file
 * and line (exit 2, nothing sent, the file left as it was), not an internal error.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { snapshot } from "../helpers/files.js";
import { ROOT, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const simulator = useSimulator();
const TICKETS = join(ROOT, "test/fixtures/support-tickets.jsonl");

describe("--resume of a results file that is not valid CSV", () => {
  it.each([
    ["a JSONL results file named .csv", "results.csv", "jsonl", 1],
    ["a JSONL results file named .tsv", "results.tsv", "jsonl", 1],
    ["a CSV edited by hand, a quote inside an unquoted cell", "results.csv", "edited", 3],
  ] as const)("%s: exit 2 with file:line, nothing sent, nothing changed", async (_what, name, shape, line) => {
    const dir = tempDir();
    const out = join(dir, name);
    const env = simulator.env();
    if (shape === "jsonl") {
      // Written as JSONL (the first run's --output-format), then resumed by the name alone.
      const first = await runCli(["run", TICKETS, "-o", out, "--output-format", "jsonl", "--max-tokens", "8", "-q"], { env });
      expect(first.code, first.stderr).toBe(0);
      // The sidecar would say it is JSONL (and refuse the resume for that): here it is gone.
      writeFileSync(`${out}.meta.json`, readFileSync(`${out}.meta.json`, "utf8").replace(/,\n\s*"output_format": "jsonl"/, ""));
    } else {
      const first = await runCli(["run", TICKETS, "-o", out, "--max-tokens", "8", "-q"], { env });
      expect(first.code, first.stderr).toBe(0);
      const rows = readFileSync(out, "utf8").split("\r\n");
      rows[2] = rows[2]!.replace(/^([^,]*,true,)/, '$1He said "thanks" and left ');
      writeFileSync(out, rows.join("\r\n"));
    }
    const before = snapshot(dir);
    simulator.sim().resetStats();
    const r = await runCli(["run", TICKETS, "-o", out, "--max-tokens", "8", "--resume", "-q"], { env });
    expect(r.stderr).not.toContain("internal error");
    expect(r.stderr).toContain(`${out}:${line}: cannot resume: this is not an llmbatch results file`);
    expect(r.code).toBe(2);
    expect(simulator.sim().stats().requests).toBe(0);
    expect(snapshot(dir)).toEqual(before);
  });
});
