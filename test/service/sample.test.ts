import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { main } from "../../samples/ticket-service.js";
import { jsonLines, ROOT } from "../helpers/cli.js";

describe("samples/ticket-service.js (the library example)", () => {
  it("runs its two business methods against the simulator and flushes the summary on close", async () => {
    const run = await main(["Charged twice for INV-2291.", "The export button is broken.", "Add three seats, please.", "Password reset mail never arrives."]);
    expect(run.errors).toBe(0);
    expect(run.routes).toHaveLength(4);
    for (const r of run.routes) expect(r.output).toMatch(/^(urgent|normal)-(billing|bug|other)$/);
    expect(run.summaries.every((s) => typeof s.output === "string" && s.output.length > 0)).toBe(true);
    expect(run.tickets.map((t) => t.ticket)).toEqual(["Charged twice for INV-2291.", "The export button is broken.", "Add three seats, please.", "Password reset mail never arrives."]);
    // Ids are unique per service: eight calls, eight ids.
    expect(new Set([...run.routes, ...run.summaries].map((r) => r.id)).size).toBe(8);
    expect(run.summary.records).toBe(8);
    expect(run.summary.ok).toBe(8);
    expect(Object.keys(run.summary.cost_by_step).sort()).toEqual(["summary", "triage"]);
    expect(run.summary.cost_usd).toBeGreaterThan(0);
  });

  it("runs as docs/library.md says, `node samples/ticket-service.js`, on the Node running the tests", async () => {
    const child = spawn(process.execPath, [join(ROOT, "samples/ticket-service.js")], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const code = await new Promise<number | null>((resolve, reject) => {
      child.on("error", reject);
      child.on("close", resolve);
    });
    expect(stderr).toMatch(/^6 calls, 0 failed, \$[\d.]+ \(simulated\)\n$/);
    expect(code).toBe(0);
    const rows = jsonLines(stdout);
    expect(rows.map((r) => r.ticket)).toEqual(["I was charged twice for March.", "Export to CSV fails with a 500.", "Please add three seats."]);
    for (const r of rows) {
      expect(r.route).toMatch(/^(urgent|normal)-(billing|bug|other)$/);
      expect(typeof r.summary === "string" && r.summary.length > 0).toBe(true);
    }
  });
});
