import type { ReadItem } from "../types.js";
import { IdLineMap } from "./id-map.js";

/**
 * Makes ids unique: a record whose id was already used becomes an invalid item,
 * `duplicate id "x" on line 9 (first seen on line 3)`. Ids key the output and `--resume`,
 * so two lines with one id would make both ambiguous.
 *
 * Invalid items pass through unchanged, but their ids count as used: every output line keeps
 * a distinct id.
 */
export async function* dedupeIds(items: AsyncIterable<ReadItem>): AsyncGenerator<ReadItem> {
  const seen = new IdRegistry();
  for await (const item of items) {
    if (item.kind === "invalid") {
      seen.firstLine(item.invalid.id, item.invalid.line);
      yield item;
      continue;
    }
    const { id, line } = item.record;
    const first = seen.firstLine(id, line);
    if (first === undefined) yield item;
    else yield { kind: "invalid", invalid: { id, line, message: `duplicate id ${JSON.stringify(id)} on line ${line} (first seen on line ${first})` } };
  }
}

/**
 * Remembers every id with the line it was first seen on.
 *
 * Memory, for the 1,000,000-record target (< 150 MB peak for the whole run):
 * - An id equal to its own line number (the default when a record has none) costs one bit:
 *   a bitset indexed by line, 125 KB per million lines. Such ids cannot collide with each
 *   other (lines are unique), only with an explicit id spelled like a line number, which the
 *   checks below cover in both directions.
 * - A prefix-and-counter id (`req-123456`) costs 4 bytes: its line in a typed array indexed by
 *   the counter (`IdLineMap`; 4 MB per million ids instead of 61 MB as Map keys).
 * - Any other id is a key in a Map with its line as a small integer (no boxed numbers).
 *   Measured on Node 20: about 60 bytes per id (85 MB for 1M UUID-length ids), dominated by the
 *   id strings themselves. Exactness needs the strings; hashes would make a false "duplicate"
 *   possible.
 */
export class IdRegistry {
  readonly #explicit = new IdLineMap();
  #lineIds = new Uint8Array(1024);

  /** Registers `id` at `line` and returns undefined, or returns the line it was first seen on. */
  firstLine(id: string, line: number): number | undefined {
    const earlier = this.#explicit.get(id);
    if (earlier !== undefined) return earlier;
    if (id === String(line)) {
      if (this.#hasLineId(line)) return line;
      this.#addLineId(line);
      return undefined;
    }
    const asLine = lineNumberOf(id);
    if (asLine !== undefined && this.#hasLineId(asLine)) return asLine;
    this.#explicit.set(id, line);
    return undefined;
  }

  #hasLineId(line: number): boolean {
    const byte = line >>> 3;
    return byte < this.#lineIds.length && (this.#lineIds[byte]! & (1 << (line & 7))) !== 0;
  }

  #addLineId(line: number): void {
    const byte = line >>> 3;
    if (byte >= this.#lineIds.length) {
      let size = this.#lineIds.length;
      while (size <= byte) size *= 2;
      const grown = new Uint8Array(size);
      grown.set(this.#lineIds);
      this.#lineIds = grown;
    }
    this.#lineIds[byte]! |= 1 << (line & 7);
  }
}

/** The line number an id spells exactly as `String(line)` would, if any. */
function lineNumberOf(id: string): number | undefined {
  // Line numbers fit in 32 bits here (the bitset uses `>>>`); longer digit strings are never lines.
  if (!/^[1-9][0-9]{0,9}$/.test(id)) return undefined;
  const n = Number(id);
  return n <= 0xffffffff ? n : undefined;
}
