import { parseContentId } from "./content-id.js";
import { Hash64Table } from "./hash64-table.js";

/**
 * A map from record id to a small positive integer (a line number, a resume state) that stores
 * the common kinds of id without a string key:
 *
 * - Numbered ids (`req-1`, `item_42`): batch ids are usually a fixed prefix and a counter
 *   (`req-1` … `req-1000000`). Such an id is split into its prefix and its trailing number, and its
 *   value is kept in a typed array indexed by that number, one per prefix: 1 or 4 bytes per id
 *   against ~60 for a string key in a `Map`. The split is exact and reversible (the number must be
 *   written canonically: no leading zero, so `req-01` and `req-1` stay different ids).
 * - Content ids (`c:` + 16 hex digits, see content-id.ts): their 64 bits in a `Hash64Table`,
 *   9 or 12 bytes per slot.
 *
 * Everything else goes to a plain `Map`: ids without a trailing number, numbers with a leading
 * zero or above 2^31, numbers too far ahead of the ones already stored (a dense array would waste
 * memory on the gap), and prefixes beyond the first 64. No two ids can ever be mistaken for each
 * other: every path keeps the whole id, as a string or in a reversible form.
 */

const MAX_PREFIXES = 64;
const MAX_NUMBER = 2 ** 31;
/** A number is stored densely only while the array stays at most ~4× the ids in it (plus slack). */
const SLACK = 4096;

type Values = Uint8Array | Uint32Array;

interface Dense {
  values: Values;
  count: number;
}

export class IdMap {
  readonly #max: 255 | 0xffffffff;
  readonly #sparse = new Map<string, number>();
  readonly #dense = new Map<string, Dense>();
  readonly #content: Hash64Table;

  /** Values are 1..`max`; 255 stores numbered ids in one byte each. */
  constructor(max: 255 | 0xffffffff) {
    this.#max = max;
    this.#content = new Hash64Table(max);
  }

  get(id: string): number | undefined {
    const content = parseContentId(id);
    if (content?.occurrence === 1) return this.#content.get(content.hi, content.lo) || undefined;
    const split = splitNumbered(id);
    if (split) {
      const value = this.#dense.get(split.prefix)?.values[split.n];
      if (value) return value;
    }
    return this.#sparse.get(id);
  }

  /** Sets `id` to `value` (1..max), replacing its value if it has one. */
  set(id: string, value: number): void {
    const content = parseContentId(id);
    if (content?.occurrence === 1) return this.#content.set(content.hi, content.lo, value);
    const split = splitNumbered(id);
    if (split && !this.#sparse.has(id) && this.#setDense(split.prefix, split.n, value)) return;
    this.#sparse.set(id, value);
  }

  #setDense(prefix: string, n: number, value: number): boolean {
    let dense = this.#dense.get(prefix);
    if (!dense) {
      if (this.#dense.size >= MAX_PREFIXES || n > SLACK) return false;
      this.#dense.set(prefix, (dense = { values: this.#array(256), count: 0 }));
    }
    if (n >= dense.values.length) {
      if (n > 4 * dense.count + SLACK) return false;
      let size = dense.values.length;
      while (size <= n) size *= 2;
      const grown = this.#array(size);
      grown.set(dense.values);
      dense.values = grown;
    }
    if (dense.values[n] === 0) dense.count++;
    dense.values[n] = value;
    return true;
  }

  #array(n: number): Values {
    return this.#max === 255 ? new Uint8Array(n) : new Uint32Array(n);
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
