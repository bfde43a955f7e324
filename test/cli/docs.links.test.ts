import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, tempDir, writeTemp } from "../helpers/cli.js";
import { anchors, brokenLinks } from "../helpers/markdown-links.js";

/** README.md and every page of docs/: the documentation a user reads. */
function documentation(): string[] {
  const docs = readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md"));
  return [join(ROOT, "README.md"), ...docs.map((f) => join(ROOT, "docs", f))];
}

describe("the documentation's links", () => {
  it("every relative link in README.md and docs/*.md names a file that exists, and an anchor one of its headings gives", () => {
    const files = documentation();
    expect(files.length).toBeGreaterThan(5);
    expect(files.flatMap((f) => brokenLinks(f, ROOT))).toEqual([]);
  });

  it("the README links to every page of docs/", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    for (const page of readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md"))) expect(readme, page).toContain(`](docs/${page}`);
  });

  it("finds a missing file, a missing anchor and an anchor into a non-markdown file, and not links in code", () => {
    const dir = tempDir();
    writeTemp(dir, "other.md", "# Other page\n\n## `llmbatch run <input> [options]`\n\n## Twice\n\n## Twice\n");
    writeTemp(dir, "data.json", "{}\n");
    const page = writeTemp(
      dir,
      "page.md",
      [
        "# Page",
        "[ok](other.md) [ok](other.md#other-page) [ok](other.md#llmbatch-run-input-options) [ok](other.md#twice-1) [ok](#page) [web](https://example.com/x#y)",
        "[gone](missing.md)",
        "[no anchor](other.md#nowhere)",
        "[json](data.json#key)",
        "`[code](not-a-link.md)`",
        "```md",
        "[fenced](also-not-a-link.md)",
        "```",
        "[self](#no-such-heading)",
      ].join("\n"),
    );
    expect(brokenLinks(page, dir).map((b) => [b.line, b.target])).toEqual([
      [3, "missing.md"],
      [4, "other.md#nowhere"],
      [5, "data.json#key"],
      [10, "#no-such-heading"],
    ]);
    expect([...anchors("# A `b` (c)\n\n## A b c\n")]).toEqual(["a-b-c", "a-b-c-1"]);
  });
});
