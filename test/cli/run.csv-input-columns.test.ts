/**
 * CSV results with --include-input: the input columns are the fields of the first record of the
 * input that can be read, in input order, whichever result finishes first; a resume checks its
 * input by the same rule, so the same input always resumes.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator({ latencyMs: [5, 10] });

const header = (path: string) => readFileSync(path, "utf8").split("\r\n")[0]!.split(",");

describe("the input columns of CSV results", () => {
  it("come from the first record in input order, though a later one finishes first; the resume is accepted", async () => {
    const dir = tempDir();
    // The first ticket carries a note and answers slowly; the others have no note and answer at once.
    const input = writeTemp(
      dir,
      "tickets.jsonl",
      jsonl([
        { id: "T-1", prompt: "Classify: I was charged twice [[sim:latency:600]]", note: "VIP customer" },
        { id: "T-2", prompt: "Classify: the export button does nothing" },
        { id: "T-3", prompt: "Classify: how do I add an admin? [[sim:bad_request]]" },
      ]),
    );
    const out = join(dir, "results.csv");
    const env = simulator.env();
    const first = await runCli(["run", input, "-o", out, "--include-input", "-c", "3", "--max-tokens", "8", "-q"], { env });
    expect(first.code, first.stderr).toBe(1); // T-3 failed: a resume runs it again
    expect(header(out).slice(-3)).toEqual(["input.id", "prompt", "note"]);
    const resumed = await runCli(["run", input, "-o", out, "--include-input", "-c", "3", "--max-tokens", "8", "--resume", "-q"], { env });
    expect(resumed.stderr).not.toContain("cannot resume");
    expect(resumed.code).toBe(1); // T-3 fails again (the simulator refuses it each time)
    const rows = readFileSync(out, "utf8").trimEnd().split("\r\n");
    expect(rows).toHaveLength(5); // the header, three rows, and T-3's second row
    for (const row of rows) expect(row.split(",").length).toBeGreaterThanOrEqual(header(out).length);
  });

  it("skip a first line that cannot be read: the first record that can gives them", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "tickets.jsonl", `{"id":"T-0","prompt":\n${jsonl([{ id: "T-1", prompt: "Classify: refund please", channel: "email" }])}`);
    const out = join(dir, "results.csv");
    const r = await runCli(["run", input, "-o", out, "--include-input", "--max-tokens", "8", "-q"], { env: simulator.env() });
    expect(r.code, r.stderr).toBe(1); // line 1 is invalid_input
    expect(header(out).slice(-3)).toEqual(["input.id", "prompt", "channel"]);
  });
});
