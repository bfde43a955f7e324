import { describe, expect, it } from "vitest";
import { BATCH_SIMULATE_OPTIONS, simulatorOptions } from "../../src/cli/simulate-command.js";
import { UsageError } from "../../src/errors.js";

describe("llmbatch simulate's Batch API flags", () => {
  it("map onto SimulatorOptions.batch", () => {
    const options = simulatorOptions({
      batchValidatingMs: "0",
      batchLinesPerSecond: "2.5",
      batchFinalizingMs: "10",
      batchWindowMs: "5000",
      batchMaxRequests: "100",
      batchEnqueuedTokenLimit: "20000",
      batchLineFailRate: "0.25",
      batchDropCreates: "2",
    });
    expect(options.batch).toEqual({
      validatingMs: 0,
      linesPerSecond: 2.5,
      finalizingMs: 10,
      completionWindowMs: 5000,
      maxRequests: 100,
      enqueuedTokenLimit: 20000,
      lineFailureRate: 0.25,
      faults: { createDroppedFirst: 2 },
    });
    expect(simulatorOptions({}).batch).toBeUndefined();
  });

  it("refuse bad values with the flag's name", () => {
    expect(() => simulatorOptions({ batchLineFailRate: "2" })).toThrow(UsageError);
    expect(() => simulatorOptions({ batchLineFailRate: "2" })).toThrow(/--batch-line-fail-rate/);
    expect(() => simulatorOptions({ batchDropCreates: "1.5" })).toThrow(/--batch-drop-creates/);
    expect(() => simulatorOptions({ batchLinesPerSecond: "0" })).toThrow(/--batch-lines-per-second/);
  });

  it("are declared once, each flag with its help, each read back by a SimulateFlags field", () => {
    const camel = (flag: string) =>
      flag
        .replace(/^--/, "")
        .replace(/ <.*$/, "")
        .replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
    for (const [flag, help] of BATCH_SIMULATE_OPTIONS) {
      expect(help.length).toBeGreaterThan(10);
      const field = camel(flag);
      const value = field === "batchLineFailRate" ? "0.5" : "3";
      expect(simulatorOptions({ [field]: value }).batch, flag).toBeDefined();
    }
  });
});
