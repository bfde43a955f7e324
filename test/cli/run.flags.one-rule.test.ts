/**
 * `run`, `run --dry-run` and `estimate` check flags by one rule: every flag's value is checked the
 * same way in all three (a bad one is exit 2 with the same message), and a flag that does not apply
 * to the command is named in a note, not refused.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [1, 5] });
const TICKETS = join(ROOT, "test/fixtures/support-tickets.jsonl");

const COMMANDS = [
  ["run", (args: string[]) => ["run", TICKETS, ...args]],
  ["run --dry-run", (args: string[]) => ["run", TICKETS, "--dry-run", ...args]],
  ["estimate", (args: string[]) => ["estimate", TICKETS, ...args]],
] as const;

describe("a bad value is exit 2 in run, run --dry-run and estimate alike", () => {
  const dir = tempDir();
  it.each([
    ["-o with an extension llmbatch cannot write", ["-o", join(dir, "results.xlsx")], "llmbatch cannot write .xlsx files"],
    ["--output-format xlsx", ["--output-format", "xlsx"], '--output-format must be one of jsonl, csv, tsv, got "xlsx"'],
    ["--bom with JSON Lines results", ["-o", join(dir, "results.jsonl"), "--bom"], "--bom is for CSV and TSV output"],
    ["--max-cost abc", ["--max-cost", "abc"], "--max-cost"],
    ["--max-errors lots", ["--max-errors", "lots"], "--max-errors"],
    ["--grace -1", ["--grace", "-1"], "--grace"],
    ["--metrics-interval 0", ["--metrics-interval", "0"], "--metrics-interval"],
  ])("%s", async (_what, args, message) => {
    simulator.sim().resetStats();
    for (const [name, command] of COMMANDS) {
      const r = await runCli(command(args), { env: simulator.env() });
      expect(r.code, `${name}: ${r.stderr}`).toBe(2);
      expect(r.stderr, name).toContain(message);
      expect(r.stdout, name).toBe("");
    }
    expect(simulator.sim().stats().requests).toBe(0);
  });
});

describe("a flag that does not apply is noted, not refused", () => {
  it("run without --dry-run notes --assume-output, and runs", async () => {
    const r = await runCli(["run", TICKETS, "--assume-output", "10", "--max-tokens", "8"], { env: simulator.env() });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain("note: --assume-output goes with --dry-run (it shapes the estimate it prints); a run ignores it");
    expect(jsonLines(r.stdout).length).toBeGreaterThan(0);
  });

  it("--delimiter with JSON Lines input is noted alike, whether the extension or --format says JSON Lines", async () => {
    for (const extra of [[], ["--format", "jsonl"]]) {
      for (const [name, command] of COMMANDS) {
        const r = await runCli(command(["--delimiter", ";", "--max-tokens", "8", ...extra]), { env: simulator.env() });
        expect(r.code, `${name} ${extra.join(" ")}: ${r.stderr}`).toBe(0);
        expect(r.stderr, name).toContain(`${TICKETS} is read as JSON Lines: the delimiter ";" does not apply to it`);
      }
    }
  });

  it("run --dry-run names the flags that do not change an estimate, as estimate does", async () => {
    const dir = tempDir();
    const args = ["-o", join(dir, "results.csv"), "--concurrency", "4", "--max-cost", "2"];
    const dry = await runCli(["run", TICKETS, "--dry-run", ...args], { env: simulator.env() });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stderr).toContain("note: run --dry-run ignores --output, --concurrency, --max-cost: they do not change what the batch would cost or take");
    const estimate = await runCli(["estimate", TICKETS, ...args], { env: simulator.env() });
    expect(estimate.stderr).toContain("note: estimate ignores --output, --concurrency, --max-cost: they do not change what the batch would cost or take");
  });
});
