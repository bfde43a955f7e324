/**
 * A look at the cache's `data.mdb` before LMDB maps it. LMDB trusts its file: one that was cut
 * short (a disk that filled up, a partial copy) or overwritten makes a read of the map fault, and
 * a fault (SIGBUS, SIGSEGV) kills the process instead of throwing, so a damaged cache would fail
 * the run. LMDB itself never leaves such a file, not even after a kill -9 (see lmdb-store.ts);
 * this check is for damage from outside.
 *
 * Read only, never written: the two meta pages at the start of the file must carry LMDB's magic
 * number and a sane page size, and the file must hold every page the newest valid meta page counts
 * (`last_pgno`). Offsets are those of lmdb-js's LMDB (a 24-byte page header before the meta).
 */
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { join } from "node:path";

const MAGIC = 0xbeefc0de;
/** The meta record's fields, from the start of its page. */
const AT = { magic: 24, version: 28, pageSize: 48, lastPage: 144, txnId: 152 } as const;
const META_BYTES = 160;

interface Meta {
  pageSize: number;
  lastPage: bigint;
  txnId: bigint;
}

/** Why the store in `dir` cannot be opened safely, or undefined (also when it has no file yet). */
export function storeFileProblem(dir: string): string | undefined {
  let fd: number;
  try {
    fd = openSync(join(dir, "data.mdb"), "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    return (err as Error).message;
  }
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return "data.mdb is empty";
    const first = readMeta(fd, 0);
    if (first === undefined) return "data.mdb is not an LMDB file (no LMDB meta page at its start)";
    const second = size >= first.pageSize + META_BYTES ? readMeta(fd, first.pageSize) : undefined;
    const newest = second !== undefined && second.txnId > first.txnId ? second : first;
    const needed = (newest.lastPage + 1n) * BigInt(newest.pageSize);
    if (BigInt(size) < needed) return `data.mdb is cut short: ${size} bytes, but its pages need ${needed}`;
    return undefined;
  } finally {
    closeSync(fd);
  }
}

function readMeta(fd: number, offset: number): Meta | undefined {
  const page = Buffer.alloc(META_BYTES);
  if (readSync(fd, page, 0, META_BYTES, offset) < META_BYTES) return undefined;
  if (page.readUInt32LE(AT.magic) !== MAGIC) return undefined;
  const pageSize = page.readUInt32LE(AT.pageSize);
  // A power of two from 512 bytes to 64 KiB, as LMDB allows.
  if (pageSize < 512 || pageSize > 65_536 || (pageSize & (pageSize - 1)) !== 0) return undefined;
  return { pageSize, lastPage: page.readBigUInt64LE(AT.lastPage), txnId: page.readBigUInt64LE(AT.txnId) };
}
