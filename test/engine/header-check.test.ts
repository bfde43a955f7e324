import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { resolveRunOptions } from "../../src/config/run-options.js";
import { checkColumns, closestColumn } from "../../src/engine/header-check.js";

describe("closestColumn", () => {
  const columns = ["Unnamed: 0", "Clothing ID", "Review Text", "review_title", "Rating"];

  it("matches whatever the case and separators, then a typo, then a column containing the name", () => {
    expect(closestColumn("review_text", columns)).toBe("Review Text");
    expect(closestColumn("clothingid", columns)).toBe("Clothing ID");
    expect(closestColumn("Ratng", columns)).toBe("Rating");
    expect(closestColumn("title", columns)).toBe("review_title");
    expect(closestColumn("zz", columns)).toBeUndefined();
    expect(closestColumn("price", columns)).toBeUndefined();
  });
});

describe("checkColumns", () => {
  const withTemplate = (template: string) => resolveRunOptions({ template }, undefined).pipeline;

  it("passes templates that read only columns, {{id}} and field names given in brackets", () => {
    expect(() => checkColumns(withTemplate('{{Review Text}} {{["Unnamed: 0"]}} {{id}} {{a.b}}'), ["Review Text", "Unnamed: 0", "a.b"], "in.csv")).not.toThrow();
    expect(() => checkColumns(defaultPipeline(), ["id", "prompt"], "in.csv")).not.toThrow();
  });

  it("refuses a path into a column: a CSV cell is text", () => {
    expect(() => checkColumns(withTemplate("{{customer.name}}"), ["customer"], "in.csv")).toThrow(
      "--template reads {{customer.name}}, but a CSV cell is text, with no fields inside it: read the column as {{customer}}",
    );
  });

  it("writes the suggestion in brackets when the column's name cannot be written bare", () => {
    expect(() => checkColumns(withTemplate("{{items}}"), ["# items", " Items "], "in.csv")).toThrow('(did you mean {{["# items"]}}?)');
  });
});
