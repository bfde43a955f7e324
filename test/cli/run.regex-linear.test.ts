import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, jsonLines, readJsonlFile, runCli, startCli, tempDir, useSimulator, waitForLines, writeTemp } from "../helpers/cli.js";

const PIPELINE = "test/fixtures/regex/runs-of-a.yaml";
const INPUT = "test/fixtures/regex/runs-of-a.jsonl";
const { env } = useSimulator({ latencyMs: [5, 20] });

describe("a user's regex cannot stall a run (issue 16, item 5)", () => {
  it("(a+)+$ on 34 a's and a '!', and on 5,000 of them: the run simply finishes, each record with its own result", { timeout: 60_000 }, async () => {
    // On JavaScript's backtracking engine the second record alone takes minutes and the third never ends.
    const r = await runCli(["run", INPUT, "-p", PIPELINE, "--no-progress"], { env: env() });
    expect(r.code).toBe(1);
    const byId = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));
    expect([...byId.keys()].sort()).toEqual(["issue-16", "long", "short"]);
    expect(byId.get("short")).toMatchObject({ ok: true, output: "aaaa" });
    for (const id of ["issue-16", "long"]) {
      expect(byId.get(id)).toMatchObject({ ok: false, error: { type: "pipeline_step" } });
      expect(byId.get(id)!.error.message).toContain('step "run": regex /(a+)+$/ found nothing');
    }
  });

  it("SIGTERM while such records are being matched ends the run with exit 130, its results written", { timeout: 60_000 }, async () => {
    const dir = tempDir();
    const out = join(dir, "out.jsonl");
    // Many slow records, so the run is still going when the signal comes; every one ends in the catastrophic match.
    const records = Array.from({ length: 40 }, (_, i) => ({ id: `t${i}`, text: `${"a".repeat(34 + i)}! [[sim:latency:${i < 4 ? 0 : 400}]]` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const run = startCli(["run", input, "-p", PIPELINE, "-o", out, "-c", "4", "--no-progress"], { env: env() });
    await waitForLines(out, 2);
    run.child.kill("SIGTERM");
    const r = await run.done;
    expect(r.code).toBe(130);
    expect(r.stderr).toContain("SIGTERM: no new requests");
    const lines = readJsonlFile(out);
    expect(lines).toHaveLength(40);
    expect(lines.filter((l) => l.error?.type === "not_attempted").length).toBeGreaterThan(0);
    expect(lines.filter((l) => l.steps?.some((s: { id: string }) => s.id === "run")).every((l) => l.error?.type === "pipeline_step")).toBe(true);
  });
});

describe("patterns RE2 cannot run are refused when the pipeline is loaded", () => {
  it("validate names the file, line, step, field and construct of each, and exits 2", async () => {
    const r = await runCli(["validate", "test/fixtures/regex/unsupported.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    const errors = r.stderr.split("\n").filter((l) => l.startsWith("error: "));
    const why = "which llmbatch cannot run: patterns run on RE2, a linear-time engine, so that no pattern can stall a run";
    expect(errors).toEqual([
      `error: test/fixtures/regex/unsupported.yaml:11:12: steps[1].regex (step "quoted") cannot be used: it uses a backreference (\\1), ${why}`,
      `error: test/fixtures/regex/unsupported.yaml:15:12: steps[2].regex (step "amount") cannot be used: it uses a lookbehind ((?<=…)), ${why}`,
      `error: test/fixtures/regex/unsupported.yaml:20:7: steps[3].schema is not a valid JSON Schema: it uses a negative lookahead ((?!…)), ${why}`,
    ]);
  });

  it("run refuses the same pipeline before sending anything (exit 2)", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl([{ text: "she said 'hello'" }]));
    const r = await runCli(["run", input, "-p", "test/fixtures/regex/unsupported.yaml"], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain('steps[1].regex (step "quoted") cannot be used: it uses a backreference (\\1)');
  });
});
