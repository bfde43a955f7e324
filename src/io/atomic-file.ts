import { open, readFile, rename, rm } from "node:fs/promises";
import { UsageError } from "../errors.js";

/** The temp file `writeFileAtomic` writes `path` through (a run checks its outputs against it up front). */
export function tempPathFor(path: string, pid = process.pid): string {
  return `${path}.tmp-${pid}`;
}

/**
 * Writes `text` to `path` through a temp file and a rename, so a reader (or a crash) never sees a
 * half-written summary, sidecar or report. The file gets the user's umask. Once the temp file is
 * opened, a failed write or rename removes it rather than leave it next to the user's files.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = tempPathFor(path);
  const handle = await open(tmp, "w");
  try {
    try {
      await handle.writeFile(text);
    } finally {
      await handle.close();
    }
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined); // the write's own error is the one to report
    throw err;
  }
}

/**
 * The text of a state file the run keeps beside its output (sidecar, batch journal): undefined when
 * there is none yet, a usage error naming the file when it cannot be read.
 */
export async function readStateFile(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new UsageError(`cannot read "${path}": ${(err as Error).message}`);
  }
}
