import { spawn } from "node:child_process";
import { describe, expect, it } from "vitest";
import { BIN, jsonLines, runCli } from "../helpers/cli.js";

describe("llmbatch --version, --help, demo, simulate", () => {
  it("prints the version and the help", async () => {
    const v = await runCli(["--version"]);
    expect(v.code).toBe(0);
    expect(v.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    const h = await runCli(["run", "--help"]);
    expect(h.code).toBe(0);
    for (const flag of [
      "--pipeline",
      "--model",
      "--provider",
      "--base-url",
      "--output",
      "--summary",
      "--concurrency",
      "--rpm",
      "--tpm",
      "--max-retries",
      "--timeout",
      "--template",
      "--max-tokens",
      "--temperature",
      "--no-progress",
      "--quiet",
    ]) {
      expect(h.stdout).toContain(flag);
    }
  });

  it("runs the demo against the bundled simulator: results on stdout, summary on stderr", async () => {
    const r = await runCli(["demo"]);
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines).toHaveLength(36);
    expect(lines.every((l) => l.ok)).toBe(true);
    expect(r.stderr).toContain("llmbatch summary");
    expect(r.stderr).toContain("retries");
  }, 60_000);

  it("run --simulate with a missing input is a usage error before the simulator is started", async () => {
    const r = await runCli(["run", "--simulate", "no-such-input.jsonl"]);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr).toContain("no-such-input.jsonl");
    expect(r.stderr).not.toContain("using the bundled simulator");
  });

  it("simulate prints its URL on stdout and serves until SIGINT", async () => {
    const child = spawn(process.execPath, [BIN, "simulate", "--rpm", "100"], { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, NO_COLOR: "1" } });
    const url = await new Promise<string>((resolve, reject) => {
      child.stdout.setEncoding("utf8").on("data", (d: string) => resolve(d.trim().split("\n")[0]!));
      child.on("error", reject);
    });
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${url}/v1/models`, { headers: { authorization: "Bearer x" } });
    expect(res.status).toBe(200);
    expect(res.headers.get("x-ratelimit-limit-requests")).toBe("100");
    const code = await new Promise<number | null>((resolve) => {
      child.on("close", resolve);
      child.kill("SIGINT");
    });
    expect(code).toBe(0);
  });
});
