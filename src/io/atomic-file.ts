import { open, rename, rm } from "node:fs/promises";

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
