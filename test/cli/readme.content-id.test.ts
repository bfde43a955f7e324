import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();

/** The sh command the README gives for computing a content id (the block in "Record ids"). */
function readmeRecipe(): string {
  const readme = readFileSync(join(ROOT, "README.md"), "utf8");
  const from = readme.indexOf("### Record ids");
  const section = readme.slice(from, readme.indexOf("\n## ", from));
  const start = section.indexOf("```sh\n");
  if (start < 0) throw new Error("README.md's Record ids section gives no sh command for content ids");
  return section.slice(start + 6, section.indexOf("```", start + 6)).trim();
}

describe("the README's content-id recipe", () => {
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
