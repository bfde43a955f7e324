import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "csv-parse/sync";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonLines, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;
beforeAll(async () => {
  sim = await startSimulator();
  env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: sim.openaiBaseUrl, OLLAMA_HOST: sim.ollamaHost };
});
afterAll(() => sim.close());

describe("CSV in, CSV out", () => {
  it("reads a CSV with quoted newlines and writes a CSV a spreadsheet can open, with --include-input", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "rows.csv", 'id,text\n1,"hello, world"\n2,"line one\nline two"\n3,plain\n');
    const out = join(dir, "out.csv");
    const r = await runCli(["run", file, "--template", "Translate: {{text}}", "-o", out, "--include-input", "-q"], { env });
    expect(r.code).toBe(0);
    const rows = parse(readFileSync(out, "utf8"), { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.id).sort()).toEqual(["1", "2", "3"]);
    expect(Object.keys(rows[0]!)).toEqual(expect.arrayContaining(["id", "ok", "output", "error_type", "input_tokens", "cost_usd", "text"]));
    expect(rows.find((x) => x.id === "2")!.text).toBe("line one\nline two");
    expect(rows.every((x) => x.ok === "true")).toBe(true);
  });

  it("runs the sample CSV through the demo pipeline", async () => {
    const r = await runCli(["run", "samples/tickets.csv", "-p", "pipelines/demo.yaml", "-q"], { env });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout)).toHaveLength(36);
  });
});

describe("Ollama through its own client", () => {
  it("runs -m ollama:llama3.2 against OLLAMA_HOST, cost 0", async () => {
    sim.resetStats();
    const r = await runCli(["run", "samples/tickets.csv", "--template", "Summarize: {{text}}", "-m", "ollama:llama3.2", "-q"], { env: { ...env, OPENAI_API_KEY: undefined as unknown as string } });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(36);
    expect(lines.every((l) => l.ok && l.provider === "ollama" && l.model === "llama3.2" && l.cost_usd === 0)).toBe(true);
    expect(lines.every((l) => l.usage.output_tokens > 0 && l.usage.input_tokens > 0)).toBe(true);
    expect(sim.stats().requests).toBe(36);
  });
});
