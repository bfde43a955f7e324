import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { BIN, ROOT, tempDir } from "./cli.js";

const SCRIPT = "/usr/bin/script";

export const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

export interface TerminalOptions {
  env?: Record<string, string>;
  /** A file the binary's stdin is redirected from. */
  stdinFile?: string;
  /** Shell words run before the binary in the same shell (`cat a > fifo &`). */
  before?: string;
  /** The run is killed (and the test fails on its result) if it has not ended by then. @default 50 s */
  hangMs?: number;
}

export interface TerminalRun {
  code: number | null;
  /** One entry per frame drawn, escape codes and redraws removed. */
  frames: string[];
  text: string;
  /** True when the run did not end by itself and was killed. */
  hung: boolean;
}

/**
 * Runs the real binary with a pseudo-terminal for its stdin, stdout and stderr (util-linux
 * `script`), as a user's terminal would: the progress line is drawn only on a TTY. Returns what
 * the terminal received, escape codes and redraws removed: one entry per frame drawn. `script`'s
 * own copy of the session goes to a temp file, never to a path of the system.
 */
export async function runInTerminal(args: string[], opts: TerminalOptions = {}): Promise<TerminalRun> {
  expect(existsSync(SCRIPT), `${SCRIPT} is missing (Debian's bsdutils / util-linux package)`).toBe(true);
  const command = `${opts.before ? `${opts.before} ` : ""}exec ${[process.execPath, BIN, ...args].map(shellQuote).join(" ")}${opts.stdinFile ? ` < ${shellQuote(opts.stdinFile)}` : ""}`;
  const typescript = join(tempDir(), "typescript");
  const child = spawn(SCRIPT, ["-qfec", command, typescript], { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", COLUMNS: "200", ...opts.env }, stdio: ["ignore", "pipe", "pipe"] });
  let raw = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (raw += d));
  let hung = false;
  // Closing the terminal (script's end) hangs up the run in it.
  const guard = setTimeout(() => {
    hung = true;
    child.kill("SIGTERM");
  }, opts.hangMs ?? 50_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(guard);
  // cli-progress redraws by moving to column 1 (ESC [ 1 G) and clearing to the right.
  const frames = raw.split("\u001b[1G").map((f) => f.replace(/\u001b\[[0-9;?]*[A-Za-z]|\u001b[78]/g, "").replace(/\r/g, ""));
  return { code, frames, text: frames.join("\n"), hung };
}
