/**
 * A map from record id to line number that stores numbered ids (`req-1`, `item_42`) in 4 bytes
 * each instead of a string key.
 *
 * Batch ids are usually a fixed prefix and a counter (`req-1` … `req-1000000`). Such an id is
 * split into its prefix and its trailing number, and its line is kept in a typed array indexed by
 * that number, one per prefix: 4 bytes per id against ~60 for a string key in a `Map`. The split is
 * exact and reversible (the number must be written canonically: no leading zero, so `req-01`
 * and `req-1` stay different ids), so no two ids can ever be mistaken for each other.
 *
 * Everything else goes to a plain `Map`: ids without a trailing number, numbers with a leading
 * zero or above 2^31, numbers too far ahead of the ones already stored (a dense array would waste
 * memory on the gap), and prefixes beyond the first 64.
 */

const MAX_PREFIXES = 64;
const MAX_NUMBER = 2 ** 31;
/** A number is stored densely only while the array stays at most ~4× the ids in it (plus slack). */
const SLACK = 4096;

interface Dense {
  lines: Uint32Array;
  count: number;
}

export class IdLineMap {
  readonly #sparse = new Map<string, number>();
  readonly #dense = new Map<string, Dense>();

  get(id: string): number | undefined {
    const split = splitNumbered(id);
    if (split) {
      const line = this.#dense.get(split.prefix)?.lines[split.n];
      if (line) return line;
    }
    return this.#sparse.get(id);
  }

  /** Records `id` at `line` (>= 1); call only for an id `get` did not find. */
  set(id: string, line: number): void {
    const split = splitNumbered(id);
    if (split && line >= 1 && line <= 0xffffffff && this.#setDense(split.prefix, split.n, line)) return;
    this.#sparse.set(id, line);
  }

  #setDense(prefix: string, n: number, line: number): boolean {
    let dense = this.#dense.get(prefix);
    if (!dense) {
      if (this.#dense.size >= MAX_PREFIXES || n > SLACK) return false;
      this.#dense.set(prefix, (dense = { lines: new Uint32Array(256), count: 0 }));
    }
    if (n >= dense.lines.length) {
      if (n > 4 * dense.count + SLACK) return false;
      let size = dense.lines.length;
      while (size <= n) size *= 2;
      const grown = new Uint32Array(size);
      grown.set(dense.lines);
      dense.lines = grown;
    }
    dense.lines[n] = line;
    dense.count++;
    return true;
  }
}

/** `req-42` → {prefix "req-", n 42}; undefined unless the id ends in a canonical number < 2^31. */
function splitNumbered(id: string): { prefix: string; n: number } | undefined {
  let start = id.length;
  while (start > 0) {
    const c = id.charCodeAt(start - 1);
    if (c < 48 || c > 57) break;
    start--;
  }
  const digits = id.length - start;
  if (digits === 0 || digits > 10) return undefined;
  if (digits > 1 && id.charCodeAt(start) === 48) return undefined; // leading zero: not canonical
  const n = Number(id.slice(start));
  return n < MAX_NUMBER ? { prefix: id.slice(0, start), n } : undefined;
}
