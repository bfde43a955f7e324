/**
 * An unexpected exception, a bug in llmbatch, as the user sees it: exit code 70 (`EXIT.internal`,
 * sysexits' EX_SOFTWARE), the error's message and a line asking to report it. The stack trace is
 * for whoever fixes it, so it is printed only with `LLMBATCH_DEBUG=1`.
 */
import { redactSecrets } from "../errors.js";

/** `LLMBATCH_DEBUG` set to anything but "" or "0" adds the stack trace to an internal error. */
export function debugEnabled(env: NodeJS.ProcessEnv): boolean {
  const value = env.LLMBATCH_DEBUG;
  return value !== undefined && value !== "" && value !== "0";
}

/** The lines to print (without a level prefix): what happened, how to report it, the stack if asked for. */
export function internalErrorLines(err: unknown, debug: boolean): string[] {
  const lines = [`internal error: ${redactSecrets(messageOf(err))}`, REPORT_LINE];
  if (debug && err instanceof Error && err.stack) lines.push(redactSecrets(err.stack));
  return lines;
}

/** The same as one block of stderr text, for where there is no logger (the binary, the run thread's parent). */
export function internalErrorText(err: unknown, env: NodeJS.ProcessEnv): string {
  return `error: ${internalErrorLines(err, debugEnabled(env)).join("\n")}\n`;
}

const REPORT_LINE = "this is a bug in llmbatch: please report it with the command you ran, this message and the output of `llmbatch --version` (LLMBATCH_DEBUG=1 adds the stack trace)";

function messageOf(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  // "TypeError: …" says more than the message alone; a plain Error's name says nothing.
  return err.name && err.name !== "Error" ? `${err.name}: ${err.message}` : err.message;
}
