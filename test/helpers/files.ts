import { lstatSync, readdirSync, readFileSync, readlinkSync } from "node:fs";
import { join } from "node:path";

/** What a file looked like: enough to tell that it was written, replaced, truncated or touched. */
export interface FileState {
  ino: number;
  mtimeMs: number;
  size: number;
  /** The bytes (regular files) or the link target (symlinks). */
  content: string;
}

/**
 * Every entry under `dir` (recursively, links not followed) with its inode, mtime and bytes: a
 * run that must not change anything leaves an equal snapshot, and creates no new entry.
 */
export function snapshot(dir: string): Map<string, FileState> {
  const out = new Map<string, FileState>();
  const walk = (folder: string) => {
    for (const name of readdirSync(folder).sort()) {
      const path = join(folder, name);
      const s = lstatSync(path);
      if (s.isDirectory()) {
        out.set(`${path}/`, { ino: s.ino, mtimeMs: s.mtimeMs, size: 0, content: "" });
        walk(path);
      } else {
        // A pipe or a device has no bytes to compare (and reading a pipe would wait for a writer).
        const content = s.isSymbolicLink() ? `-> ${readlinkSync(path)}` : s.isFile() ? readFileSync(path).toString("base64") : "(special file)";
        out.set(path, { ino: s.ino, mtimeMs: s.mtimeMs, size: s.size, content });
      }
    }
  };
  walk(dir);
  return out;
}
