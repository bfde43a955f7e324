import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, writeTemp } from "../helpers/cli.js";

// Eight tickets keep each run to a couple of seconds under the pipelines' own RPM limits.
let input: string;
beforeAll(() => {
  const lines = readFileSync(join(ROOT, "samples/tickets.jsonl"), "utf8").trim().split("\n").slice(0, 8);
  input = writeTemp(tempDir(), "tickets.jsonl", `${lines.join("\n")}\n`);
});

async function runExample(name: string) {
  const dir = tempDir();
  const summaryPath = join(dir, "summary.json");
  const r = await runCli(["run", input, "-p", `pipelines/${name}.yaml`, "--simulate", "--summary", summaryPath, "--no-progress", "--ordered"]);
  expect(r.code, r.stderr).toBe(0);
  return { lines: jsonLines(r.stdout), summary: JSON.parse(readFileSync(summaryPath, "utf8")) };
}

describe("example pipelines run end to end on the simulator", () => {
  it("ticket-triage: schema-checked labels; the code only for urgent tickets", async () => {
    const { lines, summary } = await runExample("ticket-triage");
    expect(lines).toHaveLength(8);
    for (const l of lines) {
      const triage = l.steps[0].output;
      expect(["billing", "bug", "other"]).toContain(triage.label);
      expect(l.steps[1].output).toBe(triage.label);
      if (triage.urgent) expect(l.output).toBe(triage.label.toUpperCase());
      else expect([l.output, l.steps[2].skipped]).toEqual([null, true]);
    }
    expect(Object.keys(summary.cost_by_step)).toEqual(["triage"]);
  });

  it("extract-entities: a validated JSON object per ticket", async () => {
    const { lines } = await runExample("extract-entities");
    for (const l of lines) {
      expect(Object.keys(l.output).sort()).toEqual(["organizations", "people", "products", "references"]);
      expect(typeof l.steps[3].output).toBe("string");
    }
  });

  it("translate-summarize: two generate calls per ticket, the second fed by the first", async () => {
    const { lines, summary } = await runExample("translate-summarize");
    for (const l of lines) {
      expect(l.attempts).toBe(2);
      expect(typeof l.output).toBe("string");
      expect(l.output).toBe(l.output.trim());
    }
    expect(Object.keys(summary.cost_by_step).sort()).toEqual(["summary", "translate"]);
  });

  it("two-model: the larger model runs only when the cheap one is unsure", async () => {
    const { lines, summary } = await runExample("two-model");
    let careful = 0;
    for (const l of lines) {
      const [quick, second, label] = l.steps;
      const unsure = quick.output.confidence < 0.7;
      expect(second.skipped ?? false).toBe(!unsure);
      if (unsure) careful++;
      expect(label.output).toBe(unsure ? second.output.label : quick.output.label);
      expect(l.output).toBe(label.output);
    }
    // Both branches are exercised by these eight tickets (the simulator's replies are seeded).
    expect(careful).toBeGreaterThan(0);
    expect(careful).toBeLessThan(8);
    expect(Object.keys(summary.cost_by_model).sort()).toEqual(["gpt-4o", "gpt-4o-mini"]);
  });
});
