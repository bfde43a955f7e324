import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, jsonLines, ROOT, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [1, 20], seed: 3 });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

describe("llmbatch run: a clean batch", () => {
  it("writes one JSON line per input id on stdout, the summary on stderr, and exits 0", async () => {
    const dir = tempDir();
    const summaryPath = join(dir, "summary.json");
    const r = await runCli(["run", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "--summary", summaryPath, "--no-progress"], { env });
    expect(r.stderr).toContain("llmbatch summary");
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    const inputIds = readFileSync(join(ROOT, "samples/tickets.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).id);
    expect(lines.map((l) => l.id).sort()).toEqual([...inputIds].sort());
    for (const line of lines) {
      expect(line.ok).toBe(true);
      expect(typeof line.output).toBe("string");
      expect(line.model).toBe("gpt-4o-mini");
      expect(line.provider).toBe("openai");
      expect(line.usage.input_tokens).toBeGreaterThan(0);
      expect(line.attempts).toBe(1);
      expect(line.steps).toHaveLength(1);
      expect(line.steps[0].id).toBe("summary");
    }
    const summary = JSON.parse(readFileSync(summaryPath, "utf8"));
    expect(summary.records).toBe(inputIds.length);
    expect(summary.ok).toBe(inputIds.length);
    expect(summary.exit_code).toBe(0);
  });

  it("reads stdin with -, a prompt per record, and the default model", async () => {
    const input = jsonl([{ id: "a", prompt: "Say hi" }, { prompt: "No id here" }]);
    const r = await runCli(["run", "-", "--no-progress", "--quiet"], { env, stdin: input });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    // No id: the content id, `c:` + 16 hex digits of the SHA-256 of the record's canonical JSON.
    const contentId = `c:${createHash("sha256").update('{"prompt":"No id here"}').digest("hex").slice(0, 16)}`;
    expect(lines.map((l) => l.id).sort()).toEqual(["a", contentId]);
    expect(r.stderr).toBe("");
  });

  it("applies --template with {{field}} from each record and --max-tokens", async () => {
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", jsonl([{ id: 1, text: "alpha beta gamma" }]));
    const r = await runCli(["run", file, "--template", "Summarize: {{text}}", "--max-tokens", "5", "-q"], { env });
    expect(r.code).toBe(0);
    const [line] = jsonLines(r.stdout);
    expect(line!.usage.output_tokens).toBeLessThanOrEqual(5);
    expect(line!.finish_reason).toBe("length");
  });

  it("accepts lines in the OpenAI Batch API request format as they are", async () => {
    const r = await runCli(["run", "samples/prompts.jsonl", "-q"], { env });
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(7);
    expect(lines.find((l) => l.id === "batch-7")?.ok).toBe(true);
  });

  it("keeps input order with --ordered", async () => {
    const records = Array.from({ length: 40 }, (_, i) => ({ id: `r${i}`, prompt: `question ${i} [[sim:latency:${(i * 37) % 60}]]` }));
    const dir = tempDir();
    const file = writeTemp(dir, "in.jsonl", jsonl(records));
    const r = await runCli(["run", file, "--ordered", "-c", "8", "-q"], { env });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.id)).toEqual(records.map((x) => x.id));
  });

  it("writes to -o, leaving stdout empty", async () => {
    const dir = tempDir();
    const out = join(dir, "results.jsonl");
    const r = await runCli(["run", "samples/tickets.jsonl", "-p", "pipelines/demo.yaml", "-o", out, "-q"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("");
    expect(jsonLines(readFileSync(out, "utf8"))).toHaveLength(36);
  });
});
