import { spawn } from "node:child_process";
import { BIN, ROOT } from "./cli.js";

/**
 * The binary reading a stdin pipe that stays open, as when the producer of the input is still
 * running: the test writes to `child.stdin` and signals the child while it waits for more.
 */
export function startOnOpenPipe(args: string[], opts: { env: Record<string, string>; runThread?: boolean }) {
  const childEnv: Record<string, string> = { ...(process.env as Record<string, string>), NO_COLOR: "1", ...opts.env };
  if (opts.runThread === false) childEnv.LLMBATCH_RUN_THREAD = "0";
  const child = spawn(process.execPath, [BIN, ...args], { env: childEnv, cwd: ROOT, stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  const waiters: { ready: () => boolean; resolve: () => void }[] = [];
  const check = () => {
    for (const w of waiters.filter((w) => w.ready())) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
  };
  child.stdout.setEncoding("utf8").on("data", (d: string) => {
    stdout += d;
    check();
  });
  child.stderr.setEncoding("utf8").on("data", (d: string) => {
    stderr += d;
    check();
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("close", (code, signal) => resolve({ code, signal })));
  const when = (ready: () => boolean) => new Promise<void>((resolve) => (ready() ? resolve() : waiters.push({ ready, resolve })));
  return {
    child,
    closed,
    output: () => ({ stdout, stderr }),
    /** Resolves once stdout holds `n` whole lines. */
    linesOut: (n: number) => when(() => stdout.split("\n").length - 1 >= n),
    /** Resolves once stderr contains `text`. */
    saidOnStderr: (text: string) => when(() => stderr.includes(text)),
  };
}
