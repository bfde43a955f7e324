import { describe, expect, it } from "vitest";
import { didYouMean, editDistance, suggest } from "../../src/config/suggest.js";

describe("did-you-mean suggestions", () => {
  it("counts a swap of adjacent letters as one edit", () => {
    expect(editDistance("modle", "model")).toBe(1);
    expect(editDistance("promt", "prompt")).toBe(1);
    expect(editDistance("", "abc")).toBe(3);
    expect(editDistance("same", "same")).toBe(0);
  });

  it("suggests the closest plausible key, case-insensitively", () => {
    expect(suggest("temprature", ["temperature", "top_p"])).toBe("temperature");
    expect(suggest("MODEL", ["model", "name"])).toBe("model");
    expect(didYouMean("max_token", ["max_tokens", "seed"])).toBe(' (did you mean "max_tokens"?)');
  });

  it("suggests nothing when no candidate is close", () => {
    expect(suggest("xy", ["id", "method"])).toBeUndefined();
    expect(didYouMean("summarise", ["generate"])).toBe("");
  });
});
