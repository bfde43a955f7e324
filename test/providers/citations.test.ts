import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

/** Every text file under `dir` (recursively). */
function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

describe("citations in the code", () => {
  it("point at the provider's documentation or describe the fact, never at the research notes that are not in the repository", () => {
    const cited = ["src", "test", "samples"]
      .flatMap((d) => files(join(ROOT, d)))
      .filter((f) => /\.(ts|js|mjs|json)$/.test(f) && !f.endsWith("citations.test.ts"))
      .flatMap((f) =>
        readFileSync(f, "utf8")
          .split("\n")
          .flatMap((line, i) => (/PROTOCOLS(\.md| §)/.test(line) ? [`${relative(ROOT, f)}:${i + 1}`] : [])),
      );
    expect(cited).toEqual([]);
  });
});
