import { describe, expect, it } from "vitest";
import { costOf, findPrice, loadPriceTable, validatePriceTable } from "../../src/cost/prices.js";

const table = loadPriceTable();
const usage = (input_tokens: number, output_tokens: number, cached_tokens = 0) => ({ input_tokens, output_tokens, cached_tokens });

describe("price table", () => {
  it("has a source and a date and every model llmbatch documents a price for", () => {
    expect(table.source).toMatch(/genai-prices/);
    expect(table.date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    const expected = [
      "gpt-4o",
      "gpt-4o-mini",
      "gpt-4.1",
      "gpt-4.1-mini",
      "gpt-4.1-nano",
      "o3",
      "o3-mini",
      "o4-mini",
      "gpt-5",
      "gpt-5-mini",
      "gpt-5-nano",
      "gpt-5.1",
      "gpt-5.2",
      "gpt-5.4",
      "gpt-5.4-mini",
      "gpt-5.4-nano",
      "gpt-5.5",
      "text-embedding-3-small",
      "text-embedding-3-large",
      "text-embedding-ada-002",
      "text-embedding-ada-002-v2",
    ];
    expect(Object.keys(table.models).sort()).toEqual(expected.sort());
    expect(table.models["gpt-4o-mini"]).toMatchObject({ input: 0.15, cached_input: 0.075, output: 0.6, batch_input: 0.075, batch_output: 0.3 });
  });

  it("rejects a malformed table, naming every problem", () => {
    expect(() => validatePriceTable({ source: "x", date: "y", free_providers: [], models: { a: { input: "1", output: 2 }, b: { input: 1 } } })).toThrow(/models\.a\.input.*models\.b\.output/);
  });
});

describe("findPrice", () => {
  it("matches exact names and dated snapshots to their own family", () => {
    expect(findPrice(table, "gpt-4o", "openai")?.input).toBe(2.5);
    expect(findPrice(table, "gpt-4o-mini-2024-07-18", "openai")?.input).toBe(0.15);
    expect(findPrice(table, "gpt-4o-2024-08-06", "openai")?.input).toBe(2.5);
    expect(findPrice(table, "gpt-4.1-nano-2025-04-14", "openai")?.input).toBe(0.1);
    expect(findPrice(table, "o3-mini-2025-01-31", "openai")?.input).toBe(1.1);
    expect(findPrice(table, "gpt-4o-0513", "openai")?.input).toBe(2.5);
  });

  it("leaves other variants unpriced instead of borrowing a family price", () => {
    expect(findPrice(table, "gpt-4o-audio-preview-2024-12-17", "openai")).toBeUndefined();
    expect(findPrice(table, "ft:gpt-4o-mini-2024-07-18:org::abc", "openai")).toBeUndefined();
    expect(findPrice(table, "gpt-4o-mini-tts", "openai")).toBeUndefined();
    expect(findPrice(table, "llama3.2", "openai")).toBeUndefined();
  });

  it("prices every ollama model at 0", () => {
    expect(findPrice(table, "llama3.2", "ollama")).toEqual({ input: 0, cached_input: 0, output: 0 });
    expect(costOf(findPrice(table, "gpt-4o", "ollama"), usage(1000, 1000))).toBe(0);
  });
});

describe("costOf", () => {
  it("applies ((input - cached)·in + cached·cached_in + output·out) / 1e6", () => {
    // gpt-4o-mini: 120 in, 48 out, nothing cached → the DESIGN.md example's 0.0000468.
    expect(costOf(findPrice(table, "gpt-4o-mini", "openai"), usage(120, 48))).toBeCloseTo(0.0000468, 12);
    // gpt-4o: 1M input of which 400k cached, 100k output = 0.6·2.5 + 0.4·1.25 + 0.1·10.
    expect(costOf(findPrice(table, "gpt-4o", "openai"), usage(1_000_000, 100_000, 400_000))).toBeCloseTo(3.0, 10);
  });

  it("is null without a price, so unknown never reads as free", () => {
    expect(costOf(undefined, usage(10, 10))).toBeNull();
  });

  it("uses the input price for cached tokens when the model has no cached price", () => {
    expect(costOf(findPrice(table, "text-embedding-3-small", "openai"), usage(1_000_000, 0, 500_000))).toBeCloseTo(0.02, 12);
  });

  it("switches gpt-5.4 to its long-context prices above 272k input tokens", () => {
    const price = findPrice(table, "gpt-5.4", "openai");
    expect(costOf(price, usage(272_000, 0))).toBeCloseTo(0.272 * 2.5, 10);
    expect(costOf(price, usage(300_000, 10_000))).toBeCloseTo(0.3 * 5 + 0.01 * 22.5, 10);
  });

  it("never goes negative when a server reports more cached than prompt tokens", () => {
    expect(costOf(findPrice(table, "gpt-4o", "openai"), usage(10, 0, 50))).toBeCloseTo((10 * 1.25) / 1e6, 15);
  });
});
