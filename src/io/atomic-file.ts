import { constants } from "node:fs";
import { access, rename, stat, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { UsageError } from "../errors.js";

/**
 * Writes `text` to `path` through a temp file and a rename, so a reader (or a crash) never sees a
 * half-written summary, sidecar or report. The file gets the user's umask.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}

/**
 * Before a run sends anything: a file it writes only at the end (`--summary`, `--report`) or along
 * the way (`--metrics-file`) must have a writable folder, so a typo in its path is a usage error
 * up front rather than a crash after the whole batch was paid for.
 */
export async function checkWritableFolder(path: string, flag: string): Promise<void> {
  const folder = dirname(path);
  let problem: string | undefined;
  try {
    if (!(await stat(folder)).isDirectory()) problem = "is not a folder";
    else await access(folder, constants.W_OK);
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    problem = code === "ENOENT" ? "does not exist" : code === "EACCES" || code === "EPERM" ? "is not writable" : (err as Error).message;
  }
  if (problem !== undefined) throw new UsageError(`${flag} ${JSON.stringify(path)}: the folder ${JSON.stringify(folder)} ${problem}; nothing was sent`);
}
