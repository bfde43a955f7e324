import { describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { parsePipeline } from "../../src/config/pipeline.js";
import { loadPriceOverrides } from "../../src/config/price-overrides.js";
import { UsageError } from "../../src/errors.js";
import { priceTableFor } from "../../src/config/price-overrides.js";
import { findPrice, loadPriceTable, withPriceOverrides } from "../../src/cost/prices.js";
import { tempDir, writeTemp } from "../helpers/cli.js";

describe("price overrides", () => {
  it("replace or add models, and an added family prices its dated snapshots", () => {
    const table = withPriceOverrides(loadPriceTable(), { "gpt-4o-mini": { input: 1, output: 2 }, "acme-1": { input: 3, cached_input: 1, output: 4 } }, "test");
    expect(findPrice(table, "gpt-4o-mini-2024-07-18", "openai")).toEqual({ input: 1, output: 2 });
    expect(findPrice(table, "acme-1-2026-01-01", "openai")).toEqual({ input: 3, cached_input: 1, output: 4 });
    expect(findPrice(table, "gpt-4o", "openai")?.input).toBe(2.5); // untouched
    expect(table.source).toMatch(/overridden by test/);
    expect(loadPriceTable().models["acme-1"]).toBeUndefined(); // the bundled table is not modified
  });

  it("apply bundled < pipeline prices: < --prices file", () => {
    const t = priceTableFor({ "gpt-4o": { input: 9, output: 9 }, "x-1": { input: 1, output: 1 } }, { "gpt-4o": { input: 7, output: 7 } });
    expect(findPrice(t, "gpt-4o", "openai")?.input).toBe(7);
    expect(findPrice(t, "x-1", "openai")?.input).toBe(1);
  });

  it("read a YAML or JSON file: a plain mapping or a copy of the bundled table", async () => {
    const dir = tempDir();
    const yaml = writeTemp(dir, "p.yaml", "my-model:\n  input: 0.5\n  output: 1.5\n");
    expect(await loadPriceOverrides(yaml)).toEqual({ "my-model": { input: 0.5, output: 1.5 } });
    const json = writeTemp(dir, "p.json", JSON.stringify({ source: "ours", date: "2026-01-01", models: { "m-2": { input: 1, cached_input: 0.1, output: 2 } } }));
    expect(await loadPriceOverrides(json)).toEqual({ "m-2": { input: 1, cached_input: 0.1, output: 2 } });
  });

  it("report every bad entry at file:line:column, and a missing file as a usage error", async () => {
    const dir = tempDir();
    const bad = writeTemp(dir, "bad.yaml", 'a:\n  input: "cheap"\n  output: 1\nb:\n  input: 1\nc:\n  input: 1\n  output: 1\n  outptu: 2\n');
    const err = (await loadPriceOverrides(bad).catch((e: unknown) => e)) as ConfigError;
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`${bad}:2:10: a.input must be a non-negative number (USD per 1M tokens), got "cheap"`);
    expect(err.message).toContain(`${bad}:5:3: b is missing required key "output"`);
    expect(err.message).toMatch(/:9:3: unknown key "outptu" in c \(did you mean "output"\?\)/);
    await expect(loadPriceOverrides(`${dir}/nope.yaml`)).rejects.toThrow(UsageError);
  });

  it("come from the pipeline's prices: block, validated like the rest of the file", () => {
    const p = parsePipeline("name: x\nprices:\n  acme-1: {input: 1, output: 2}\nsteps:\n  - {id: a, method: generate, prompt: hi}\n", "p.yaml");
    expect(p.prices).toEqual({ "acme-1": { input: 1, output: 2 } });
    expect(() => parsePipeline("name: x\nprices:\n  acme-1: {input: -1, output: 2}\nsteps:\n  - {id: a, method: generate, prompt: hi}\n", "p.yaml")).toThrow(
      /p\.yaml:3:19: prices\.acme-1\.input must be a non-negative number/,
    );
  });
});
