/**
 * A Batch API file of the `functions` / `function_call` era (still accepted by OpenAI's Chat
 * Completions): each call and its arguments reach the output record, per choice too, and a CSV
 * output, which has no column for them, says so instead of dropping them silently.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, runCli, tempDir, useSimulator } from "../helpers/cli.js";

const FIXTURE = "test/fixtures/batch-legacy-functions.jsonl";
const { env } = useSimulator({ seed: 12 });

describe("run: legacy function calls", () => {
  it("writes function_call with its arguments (finish_reason function_call), in every choice of n, and text when function_call is none", async () => {
    const r = await runCli(["run", FIXTURE, "-q", "--ordered"], { env: env() });
    expect(r.code).toBe(0);
    const out = new Map(jsonLines(r.stdout).map((l) => [l.id, l]));

    const weather = out.get("fn-weather")!;
    expect(weather).toMatchObject({ ok: true, output: "", finish_reason: "function_call", function_call: { name: "get_current_weather" } });
    const args = JSON.parse(weather.function_call.arguments);
    expect(typeof args.city).toBe("string");
    expect(["celsius", "fahrenheit"]).toContain(args.unit);

    const order = out.get("fn-order")!;
    expect(order.ok).toBe(true);
    expect(order.choices.map((c: any) => [c.finish_reason, c.function_call.name])).toEqual([
      ["function_call", "lookup_order"],
      ["function_call", "lookup_order"],
    ]);
    for (const c of order.choices) expect(typeof JSON.parse(c.function_call.arguments).order_id).toBe("string");
    expect(order.function_call).toEqual(order.choices[0].function_call);

    const none = out.get("fn-none")!;
    expect(none).toMatchObject({ ok: true, finish_reason: "stop" });
    expect(none.output).not.toBe("");
    expect(none.function_call).toBeUndefined();

    // The key sits with the other reply details: after finish_reason, before steps.
    const first = r.stdout.split("\n")[0]!;
    expect(first.indexOf('"finish_reason"')).toBeLessThan(first.indexOf('"function_call"'));
    expect(first.indexOf('"function_call"')).toBeLessThan(first.indexOf('"steps"'));
  });

  it("CSV output says once which details it cannot hold and points to JSONL; JSONL output says nothing", async () => {
    const dir = tempDir();
    const csv = join(dir, "results.csv");
    const r = await runCli(["run", FIXTURE, "-o", csv, "--no-progress"], { env: env() });
    expect(r.code).toBe(0);
    const warnings = r.stderr.split("\n").filter((l) => l.includes("cannot hold"));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toContain(csv);
    expect(warnings[0]).toContain("function_call (2 results)");
    expect(warnings[0]).toContain("choices (1 result)");
    expect(warnings[0]).toContain("JSONL");
    expect(readFileSync(csv, "utf8").split("\r\n")[0]).toBe("id,ok,output,finish_reason,error_type,error_message,input_tokens,output_tokens,cached_tokens,cost_usd,attempts,latency_ms");

    const jsonlRun = await runCli(["run", FIXTURE, "-o", join(dir, "results.jsonl"), "--no-progress"], { env: env() });
    expect(jsonlRun.code).toBe(0);
    expect(jsonlRun.stderr).not.toContain("cannot hold");
  });

  it("CSV output of plain answers says nothing about details", async () => {
    const dir = tempDir();
    const input = join(dir, "in.jsonl");
    writeFileSync(input, '{"id": "1", "prompt": "Say hi."}\n');
    const r = await runCli(["run", input, "-o", join(dir, "out.csv"), "--no-progress"], { env: env() });
    expect(r.code).toBe(0);
    expect(r.stderr).not.toContain("cannot hold");
  });
});
