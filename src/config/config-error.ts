import { readFile } from "node:fs/promises";
import { UsageError } from "../errors.js";

/** One thing wrong with a config file, located at the node that caused it. */
export interface ConfigProblem {
  message: string;
  file: string;
  /** 1-based line; absent when the problem concerns the file as a whole. */
  line?: number;
  /** 1-based column. */
  column?: number;
}

/** `file:line:column: message`, the form editors and terminals turn into links. */
export function formatProblem(p: ConfigProblem): string {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}:${p.column ?? 1}`;
  return `${where}: ${p.message}`;
}

/**
 * Every problem found in a config file, reported together so a user fixes them in one pass.
 * A `UsageError`, so the CLI exits with code 2 and sends nothing.
 */
export class ConfigError extends UsageError {
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[]) {
    super(problems.map(formatProblem).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** Reads a config file's text; an unreadable file is a `UsageError` naming it (`what`: "pipeline file"). */
export async function readConfigText(file: string, what: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : (e as Error).message;
    throw new UsageError(`cannot read ${what} ${file}: ${reason}`);
  }
}
