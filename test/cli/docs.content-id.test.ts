import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();

/** The sh command docs/input.md gives for computing a content id (the block in "Record ids"). */
function readmeRecipe(): string {
  const doc = readFileSync(join(ROOT, "docs/input.md"), "utf8");
  const from = doc.indexOf("\n## Record ids\n");
  if (from < 0) throw new Error("docs/input.md has no Record ids section");
  const end = doc.indexOf("\n## ", from + 1);
  const section = doc.slice(from, end < 0 ? undefined : end);
  const start = section.indexOf("```sh\n");
  if (start < 0) throw new Error("docs/input.md's Record ids section gives no sh command for content ids");
  return section.slice(start + 6, section.indexOf("```", start + 6)).trim();
}

describe("the content-id recipe in docs/input.md", () => {
  it("gives the ids llmbatch gives, for DEL, keys outside the BMP, escapes and numbers not written plainly", async () => {
    const lines = [
      '{"prompt":"del \\u007f and tab\\t","\\ud83d\\ude00":1,"\\uffff":2,"z":{"b":[1.0,1E2,-0.0,1e21]}}',
      '{"text":"Caf\u00e9 \u201cquoted\u201d \\"x\\" \\\\ back","score":0.1,"flag":true,"none":null}',
      '{"review":"control \\u001f and line\\nbreak","n":12.50}',
    ];
    const file = writeTemp(tempDir(), "records.jsonl", `${lines.join("\n")}\n`);
    // Sent or not (two have no prompt), each record comes out under its content id.
    const r = await runCli(["run", file, "-q", "--ordered"], { env: simulator.env() });
    const ids = jsonLines(r.stdout).map((l) => l.id as string);
    expect(ids).toHaveLength(3);
    const recipe = readmeRecipe();
    for (const [i, line] of lines.entries()) {
      expect(execFileSync("bash", ["-c", recipe], { env: { ...process.env, line }, encoding: "utf8" }).trim()).toBe(ids[i]!.replace(/#\d+$/, ""));
    }
  });
});
