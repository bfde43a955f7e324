import { spawn } from "node:child_process";
import { statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BIN, ROOT, tempDir } from "../helpers/cli.js";

/** Runs the CLI under a given umask, the way a shell or cron would start it. */
function runWithUmask(umask: string, args: string[]): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const quoted = args.map((a) => `'${a.replace(/'/g, "'\\''")}'`).join(" ");
    const child = spawn("/bin/sh", ["-c", `umask ${umask} && exec '${process.execPath}' '${BIN}' ${quoted}`], { cwd: ROOT, stdio: "ignore", env: { ...process.env, NO_COLOR: "1" } });
    child.on("error", reject);
    child.on("close", resolve);
  });
}

describe("files are created with the user's umask", () => {
  it.each([
    ["077", 0o600],
    ["022", 0o644],
  ])("umask %s gives results, summary and sidecar mode %o", async (umask, mode) => {
    const dir = tempDir();
    const out = join(dir, "results.jsonl");
    const summary = join(dir, "summary.json");
    const code = await runWithUmask(umask, ["run", "samples/prompts.jsonl", "--simulate", "-q", "-o", out, "--summary", summary]);
    expect(code).toBe(0);
    for (const file of [out, summary, `${out}.meta.json`]) expect(statSync(file).mode & 0o777).toBe(mode);
  });
});
