import { spawn, type ChildProcess } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll } from "vitest";
import { startSimulator, type SimulatorHandle, type SimulatorOptions } from "../../src/simulator/index.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const BIN = join(ROOT, "bin/llmbatch.js");

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  env?: Record<string, string | undefined>;
  stdin?: string;
  /** A file the binary's stdin is redirected from (`< file`), instead of a pipe holding `stdin`. */
  stdinFile?: string;
  cwd?: string;
}

/** Spawns the real executable (built dist/) the way a user's shell would. */
export function runCli(args: string[], opts: CliOptions = {}): Promise<CliRun> {
  return startCli(args, opts).done;
}

/** Like `runCli`, but hands over the child too, for tests that signal or kill it mid-run. */
export function startCli(args: string[], opts: CliOptions = {}): { child: ChildProcess; done: Promise<CliRun> } {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({ ...process.env, NO_COLOR: "1", OPENAI_API_KEY: undefined, OPENAI_BASE_URL: undefined, OLLAMA_HOST: undefined, ...opts.env })) {
    if (v !== undefined) env[k] = v;
  }
  const stdinFd = opts.stdinFile === undefined ? undefined : openSync(opts.stdinFile, "r");
  const child = spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd ?? ROOT, stdio: [stdinFd ?? "pipe", "pipe", "pipe"] });
  // The child has its own copy of the descriptor.
  if (stdinFd !== undefined) closeSync(stdinFd);
  const done = new Promise<CliRun>((resolve, reject) => {
    let stdout = "";
    let stderr = "";
    // Both are pipes (the descriptors in `stdio` after stdin's).
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  child.stdin?.end(opts.stdin ?? "");
  return { child, done };
}

/** Resolves once `path` holds at least `n` complete lines (polling: the writer is another process). */
export async function waitForLines(path: string, n: number, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let count = 0;
    try {
      count = readFileSync(path, "utf8").split("\n").length - 1;
    } catch {
      count = 0; // not created yet
    }
    if (count >= n) return;
    if (Date.now() > deadline) throw new Error(`${path} has ${count} lines after ${timeoutMs} ms, expected ${n}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Parses stdout, failing loudly if any line is not a JSON object (stdout carries data only). */
export function jsonLines(stdout: string): Record<string, any>[] {
  return stdout
    .split("\n")
    .filter((l) => l !== "")
    .map((l, i) => {
      try {
        return JSON.parse(l) as Record<string, any>;
      } catch {
        throw new Error(`stdout line ${i + 1} is not JSON: ${l.slice(0, 200)}`);
      }
    });
}

export function tempDir(): string {
  return mkdtempSync(join(tmpdir(), "llmbatch-test-"));
}

export function writeTemp(dir: string, name: string, content: string): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

export function jsonl(records: object[]): string {
  return `${records.map((r) => JSON.stringify(r)).join("\n")}\n`;
}

/** The JSON lines of a results file (whole lines; fails on a partial one). */
export function readJsonlFile(path: string): Record<string, any>[] {
  return jsonLines(readFileSync(path, "utf8"));
}

/** How many `ok: true` lines each id has: exactly one each is what a finished batch looks like. */
export function okCountById(lines: Record<string, any>[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const l of lines) if (l.ok) counts.set(l.id, (counts.get(l.id) ?? 0) + 1);
  return counts;
}

/**
 * Starts a simulator for the test file (beforeAll) and closes it (afterAll). `env()` is what a
 * CLI run needs to reach it with the OpenAI client.
 */
export function useSimulator(options: SimulatorOptions = {}, apiKey = "sk-test"): { sim(): SimulatorHandle; env(): Record<string, string> } {
  let handle: SimulatorHandle | undefined;
  beforeAll(async () => {
    handle = await startSimulator(options);
  });
  afterAll(() => handle?.close());
  const sim = () => {
    if (!handle) throw new Error("the simulator is not started yet (use it inside a test)");
    return handle;
  };
  return { sim, env: () => ({ OPENAI_API_KEY: apiKey, OPENAI_BASE_URL: sim().openaiBaseUrl }) };
}
