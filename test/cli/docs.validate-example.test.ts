import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, runCli } from "../helpers/cli.js";

/** The lines docs/cli.md shows after `$ <command>` in a sh block, up to the block's end. */
function shownOutput(command: string): string[] {
  const readme = readFileSync(join(ROOT, "docs/cli.md"), "utf8");
  const at = readme.indexOf(`$ ${command}\n`);
  if (at < 0) throw new Error(`docs/cli.md shows no "$ ${command}"`);
  const body = readme.slice(at + command.length + 3);
  return body.slice(0, body.indexOf("```")).trimEnd().split("\n");
}

describe("the validate example in docs/cli.md", () => {
  it("names a file that exists, and shows exactly what validate prints for it", async () => {
    const shown = shownOutput("llmbatch validate samples/broken-pipeline.yaml");
    const r = await runCli(["validate", "samples/broken-pipeline.yaml"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trimEnd().split("\n")).toEqual(shown);
  });
});
