import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parsePipeline } from "../../src/config/pipeline.js";
import { runPipeline } from "../../src/run/run-pipeline.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { yaml } from "../config/helpers.js";
import { collect } from "./fake-provider.js";

// Real `openai` and `ollama` clients over HTTP; the simulator returns schema-conforming JSON when
// asked for it, and broken JSON for the first N attempts of a message with [[sim:invalid_json:N]].
let sim: SimulatorHandle;
beforeAll(async () => (sim = await startSimulator({ quiet: true, latencyMs: [1, 5] })));
afterAll(() => sim.close());

const pipeline = (model: string) =>
  parsePipeline(
    yaml(
      "name: repair",
      `model: ${model}`,
      "steps:",
      "  - id: triage",
      "    method: generate",
      "    prompt: '{{text}}'",
      "    schema: {type: object, required: [label, urgent], properties: {label: {enum: [billing, bug, other]}, urgent: {type: boolean}}}",
      "    repair_attempts: 2",
    ),
    "repair.yaml",
  );

describe.each(["gpt-4o-mini", "ollama:llama3.2"])("schema repair through the %s provider", (model) => {
  // The simulator counts attempts per message text, so each provider gets its own texts.
  const run = async (records: Record<string, unknown>[]) =>
    collect(
      runPipeline(
        pipeline(model),
        records.map((r) => ({ ...r, text: `${model}: ${String(r["text"])}` })),
        { connections: { openai: { apiKey: "sk-test", baseUrl: sim.openaiBaseUrl }, ollama: { host: sim.ollamaHost } }, ordered: true },
      ),
    );

  it("parses a conforming reply at once, and repairs invalid JSON within repair_attempts", async () => {
    const [clean, once, twice] = await run([
      { id: "clean", text: "Charged twice" },
      { id: "once", text: "Export broken [[sim:invalid_json:1]]" },
      { id: "twice", text: "Seats please [[sim:invalid_json:2]]" },
    ]);
    for (const r of [clean!, once!, twice!]) {
      expect(r.ok, JSON.stringify(r.error)).toBe(true);
      expect(["billing", "bug", "other"]).toContain((r.output as { label: string }).label);
      expect(typeof (r.output as { urgent: boolean }).urgent).toBe("boolean");
    }
    expect([clean!.steps[0]!.repairs, once!.steps[0]!.repairs, twice!.steps[0]!.repairs]).toEqual([undefined, 1, 2]);
    expect([clean!.attempts, once!.attempts, twice!.attempts]).toEqual([1, 2, 3]);
    // Every call is paid for: the repaired record used more tokens than the clean one.
    expect(twice!.usage.input_tokens).toBeGreaterThan(clean!.usage.input_tokens * 2);
  });

  it("fails the record as invalid_response after the last repair", async () => {
    const [r] = await run([{ id: "never", text: "Hopeless [[sim:invalid_json:9]]" }]);
    expect(r!.ok).toBe(false);
    expect(r!.error).toMatchObject({ type: "invalid_response", code: "invalid_json", retriable: false });
    expect(r!.error!.message).toMatch(/^step "triage": the reply is not valid JSON: .* \(after 3 calls, 2 repairs\)$/);
    expect(r!.attempts).toBe(3);
  });
});
