/**
 * Every file a run will write, checked before anything is opened or sent: each must be a writable
 * file path, none may be the input, and no two may be the same file. Without this, `-o in.jsonl`
 * empties the input before it is read, `--summary in.jsonl` replaces it at the end, `-o x
 * --summary x` loses every result line, and `--summary adir` fails only after the batch was paid.
 *
 * "The same file" is decided by identity, not by spelling: an existing file is its device and
 * inode (links followed, so a symlink, a hard link or `x/../in.jsonl` are all caught); a file not
 * there yet is the real path of its folder plus its name (a dangling symlink, where the file would
 * be created through it, counts as its target).
 */
import { constants, type Stats } from "node:fs";
import { access, lstat, readlink, realpath, stat } from "node:fs/promises";
import { basename, dirname, join, resolve, sep } from "node:path";
import { UsageError } from "../errors.js";
import { tempPathFor } from "./atomic-file.js";
import { metaPath } from "./run-meta.js";

/** A file by identity, as `stat` gives it. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

/** The paths of one run as its flags give them. */
export interface RunPaths {
  /** The input file; "-" or undefined for stdin. */
  input?: string;
  /**
   * For stdin (`input` "-"): the regular file it is redirected from (`< in.jsonl`), by device and
   * inode, so no output may be that file either. Undefined when stdin is a pipe or a terminal.
   */
  stdinFile?: FileIdentity;
  /** `-o`; "-" or undefined for stdout. */
  output?: string;
  summary?: string;
  report?: string;
  metricsFile?: string;
}

/**
 * How a file gets written: opened where it is (results, metrics: the file itself changes),
 * replaced by a rename from a temp file (summary, report, sidecar), or that temp file.
 */
type WriteKind = "in place" | "replaced" | "temp";

interface PlannedWrite {
  /** What messages call it: "-o", "the sidecar of -o", "the temp file of --summary". */
  what: string;
  path: string;
  kind: WriteKind;
}

/** The files each output flag makes the run write, the flag's own path first; all in one folder. */
function plannedWrites(paths: RunPaths, pid = process.pid): PlannedWrite[][] {
  const groups: PlannedWrite[][] = [];
  const output = paths.output === "-" ? undefined : paths.output;
  if (output !== undefined) {
    const meta = metaPath(output);
    groups.push([
      { what: "-o", path: output, kind: "in place" },
      { what: "the sidecar of -o", path: meta, kind: "replaced" },
      { what: "the temp file of the sidecar of -o", path: tempPathFor(meta, pid), kind: "temp" },
    ]);
  }
  const others: [string, string | undefined, WriteKind][] = [
    ["--summary", paths.summary, "replaced"],
    ["--report", paths.report, "replaced"],
    ["--metrics-file", paths.metricsFile, "in place"],
  ];
  for (const [flag, path, kind] of others) {
    if (path === undefined) continue;
    const group: PlannedWrite[] = [{ what: flag, path, kind }];
    if (kind === "replaced") group.push({ what: `the temp file of ${flag}`, path: tempPathFor(path, pid), kind: "temp" });
    groups.push(group);
  }
  return groups;
}

/** A file as the file system sees it. */
interface Located {
  what: string;
  /** Undefined for stdin, which has no path. */
  path?: string;
  /** `dev:ino` of an existing file, else the absolute path it would be created at. */
  key: string;
  /** The existing file (links followed), if there is one. */
  stats?: Stats;
  isInput?: true;
}

/**
 * Throws a `UsageError` listing every problem with the files a run will write: a path that is a
 * folder, in a folder that is missing or not writable, an existing file that cannot be written or
 * (for a file replaced by a rename) is not a regular file, and any two paths, the input included,
 * that are the same file. Reads metadata only: nothing is created, opened for writing or changed.
 */
export async function checkRunPaths(paths: RunPaths, pid = process.pid): Promise<void> {
  const problems: string[] = [];
  const located: Located[] = [];
  const input = paths.input === undefined || paths.input === "-" ? undefined : paths.input;
  if (input !== undefined) {
    try {
      located.push({ ...(await locate("the input", input)), isInput: true });
    } catch (err) {
      problems.push(`cannot read input ${JSON.stringify(input)}: ${reason(err)}`);
    }
  } else if (paths.stdinFile !== undefined) {
    located.push({ what: "the input (stdin, redirected from a file)", key: `${paths.stdinFile.dev}:${paths.stdinFile.ino}`, isInput: true });
  }
  for (const group of plannedWrites(paths, pid)) await checkGroup(group, problems, located);
  problems.push(...clashes(located));
  if (problems.length === 0) return;
  throw new UsageError(problems.length === 1 ? `${problems[0]}; nothing was sent` : `${problems.join("\n")}\nnothing was sent`);
}

async function checkGroup(group: PlannedWrite[], problems: string[], located: Located[]): Promise<void> {
  const own = group[0]!;
  const name = `${own.what} ${JSON.stringify(own.path)}`;
  if (own.path === "" || own.path.endsWith("/") || own.path.endsWith(sep)) {
    problems.push(`${name} names a folder, expected a file path`);
    return;
  }
  const folder = dirname(own.path);
  const folderProblem = await checkFolder(folder);
  if (folderProblem !== undefined) {
    problems.push(`${name}: the folder ${JSON.stringify(folder)} ${folderProblem}`);
    return;
  }
  let needsWritableFolder = false;
  for (const file of group) {
    let found: Located;
    try {
      found = await locate(file.what, file.path);
    } catch (err) {
      problems.push(`${file.what} ${JSON.stringify(file.path)}: ${reason(err)}`);
      continue;
    }
    located.push(found);
    const problem = fileProblem(file, found.stats);
    if (problem !== undefined) problems.push(`${file.what} ${JSON.stringify(file.path)} ${problem}`);
    else if (file.kind === "in place" && found.stats !== undefined && !(await writable(file.path))) problems.push(`${file.what} ${JSON.stringify(file.path)} is not writable`);
    // A new file is created in the folder; a replaced one needs it for its temp file and the rename.
    if (file.kind === "replaced" || (file.kind === "in place" && found.stats === undefined)) needsWritableFolder = true;
    // `-o /dev/null` or a pipe: nothing to resume, so no sidecar (see `prepareOutput`).
    if (found.stats !== undefined && isSpecial(found.stats)) break;
  }
  if (needsWritableFolder && !(await writable(folder))) problems.push(`${name}: the folder ${JSON.stringify(folder)} is not writable`);
}

function fileProblem(file: PlannedWrite, stats: Stats | undefined): string | undefined {
  if (stats === undefined) return undefined;
  if (stats.isDirectory()) return "is a folder, expected a file";
  // A rename would put a regular file in place of a device or a pipe (`--summary /dev/stdout`).
  if (file.kind === "replaced" && !stats.isFile()) return "is not a regular file (it is written to a temp file that is then renamed over it)";
  return undefined;
}

/** True when `path` exists and is something other than a regular file or a folder: a device, a pipe, a socket. */
export async function isSpecialFile(path: string): Promise<boolean> {
  try {
    return isSpecial(await stat(path));
  } catch {
    return false; // missing or unreadable: the writer's own open reports it
  }
}

function isSpecial(stats: Stats): boolean {
  return !stats.isFile() && !stats.isDirectory();
}

/** Why `folder` cannot hold the run's files, or undefined when it can (writability is checked apart). */
async function checkFolder(folder: string): Promise<string | undefined> {
  try {
    if (!(await stat(folder)).isDirectory()) return "is not a folder";
  } catch (err) {
    const code = errorCode(err);
    return code === "ENOENT" ? "does not exist" : code === "ENOTDIR" ? "is not a folder" : reason(err);
  }
  return undefined;
}

async function writable(path: string): Promise<boolean> {
  try {
    await access(path, constants.W_OK);
    return true;
  } catch {
    return false; // EACCES, EPERM, EROFS: the answer asked for, not an error to pass on
  }
}

/** Where `path` is, or would be once created (see the module's comment). */
async function locate(what: string, path: string, hops = 0): Promise<Located> {
  try {
    const stats = await stat(path);
    return { what, path, key: `${stats.dev}:${stats.ino}`, stats };
  } catch (err) {
    if (errorCode(err) !== "ENOENT") throw err;
  }
  const link = await lstat(path).then(
    (s) => (s.isSymbolicLink() ? readlink(path) : undefined),
    () => undefined,
  );
  // 40 is Linux's own limit on links followed in one path.
  if (link !== undefined && hops < 40) return { ...(await locate(what, resolve(dirname(path), link), hops + 1)), what, path };
  return { what, path, key: join(await realpath(dirname(path)), basename(path)) };
}

/** Every pair of located files that are one file; devices such as /dev/null may be written twice. */
function clashes(located: Located[]): string[] {
  const found: string[] = [];
  for (let i = 0; i < located.length; i++) {
    for (let j = i + 1; j < located.length; j++) {
      const a = located[i]!;
      const b = located[j]!;
      if (a.key !== b.key || (!a.isInput && a.stats?.isCharacterDevice())) continue;
      const same = a.path === b.path ? `${a.what} and ${b.what} name the same file: ${JSON.stringify(a.path)}` : `${named(a)} and ${named(b)} are the same file`;
      found.push(a.isInput ? `${same} (llmbatch never writes to its input)` : same);
    }
  }
  return found;
}

function named(l: Located): string {
  return l.path === undefined ? l.what : `${l.what} ${JSON.stringify(l.path)}`;
}

function errorCode(err: unknown): unknown {
  return (err as { code?: unknown } | null)?.code;
}

function reason(err: unknown): string {
  const code = errorCode(err);
  if (code === "ENOENT") return "no such file or folder";
  if (code === "ENOTDIR") return "a part of the path is not a folder";
  if (code === "EACCES" || code === "EPERM") return "permission denied";
  if (code === "ELOOP") return "too many levels of symbolic links";
  return err instanceof Error ? err.message : String(err);
}
