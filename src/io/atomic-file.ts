import { rename, writeFile } from "node:fs/promises";

/**
 * Writes `text` to `path` through a temp file and a rename, so a reader (or a crash) never sees a
 * half-written summary, sidecar or report. The file gets the user's umask.
 */
export async function writeFileAtomic(path: string, text: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, text);
  await rename(tmp, path);
}
