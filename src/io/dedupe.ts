import type { InputRecord, ReadItem } from "../types.js";
import { ContentIdError, contentKey, formatContentId, parseContentId } from "./content-id.js";
import { Hash64Table } from "./hash64-table.js";
import { IdMap } from "./id-map.js";

/**
 * Gives every item its output id, unique in the run (ids key the output and `--resume`, so two
 * lines with one id would make both ambiguous):
 *
 * - A record with an id of its own keeps it, exactly as written.
 * - A record without one (the reader's `""`) gets its content id, `c:<16 hex>`, numbered
 *   `c:<hex>#2`, `#3`, … for identical records and for a content id a user's id already took.
 * - An id that is already used makes a record invalid, `duplicate id "x" on line 9 (first seen on
 *   line 3)`, and its line comes out as `x#line-9`. A user's id that equals an earlier record's
 *   content id is such a duplicate (the earlier line already came out under it).
 * - An invalid item keeps its own id when it has one that is free, else it comes out as
 *   `<id>#line-<n>`; without an id, as `#line-<n>`.
 */
export async function* dedupeIds(items: AsyncIterable<ReadItem>): AsyncGenerator<ReadItem> {
  const registry = new IdRegistry();
  for await (const item of items) yield registry.assign(item);
}

/**
 * Remembers every id given out.
 *
 * Memory, for the 1,000,000-record target (< 150 MB peak for the whole run):
 * - A content id costs one slot of a `Hash64Table`, 8 bytes of key and a 1-byte occurrence
 *   count: 12–18 MB per million records. Its key is the id's own 64 bits, so the check is exact.
 * - A user's id costs what `IdMap` takes for it (4 bytes for `req-123456`, ~60 for other strings).
 */
export class IdRegistry {
  /** Every id given out that is not a content id: the user's, and `…#line-n`. Value: its line. */
  readonly #ids = new IdMap(0xffffffff);
  /** Per content key, how many occurrences were numbered (saturating; exact counts beyond in #many). */
  readonly #content = new Hash64Table(255);
  readonly #many = new Map<string, number>();

  assign(item: ReadItem): ReadItem {
    if (item.kind === "invalid") {
      const { id, line } = item.invalid;
      if (id !== "" && this.#free(id)) {
        this.#ids.set(id, line);
        return item;
      }
      const unique = this.#lineId(id, line);
      const note = id === "" ? "" : `; its id ${JSON.stringify(id)} is already ${this.#owner(id)}, so this line comes out as ${JSON.stringify(unique)}`;
      return { kind: "invalid", invalid: { ...item.invalid, id: unique, message: item.invalid.message + note } };
    }
    const { record } = item;
    if (record.id === "") return this.#withContentId(record);
    if (this.#free(record.id)) {
      this.#ids.set(record.id, record.line);
      return item;
    }
    const first = this.#ids.get(record.id);
    const where = first !== undefined ? `first seen on line ${first}` : "the content id of an earlier record without an id";
    const message = `duplicate id ${JSON.stringify(record.id)} on line ${record.line} (${where})`;
    return { kind: "invalid", invalid: { id: this.#lineId(record.id, record.line), line: record.line, message } };
  }

  #withContentId(record: InputRecord): ReadItem {
    let key: { hi: number; lo: number };
    try {
      key = contentKey(record.vars);
    } catch (err) {
      if (!(err instanceof ContentIdError)) throw err;
      return { kind: "invalid", invalid: { id: this.#lineId("", record.line), line: record.line, message: `the record has no id and cannot be identified by its content: ${err.message}` } };
    }
    let id: string;
    do id = formatContentId(key.hi, key.lo, this.#nextOccurrence(key.hi, key.lo));
    while (this.#ids.get(id) !== undefined); // a user's id took it: the next number
    return { kind: "record", record: { ...record, id } };
  }

  /** Numbers one more occurrence of a content key and returns it (1 for the first). */
  #nextOccurrence(hi: number, lo: number): number {
    const small = this.#content.get(hi, lo);
    if (small < 255) {
      this.#content.set(hi, lo, small + 1);
      return small + 1;
    }
    const name = formatContentId(hi, lo, 1);
    const n = (this.#many.get(name) ?? 255) + 1;
    this.#many.set(name, n);
    return n;
  }

  #occurrences(hi: number, lo: number): number {
    const small = this.#content.get(hi, lo);
    return small < 255 ? small : (this.#many.get(formatContentId(hi, lo, 1)) ?? 255);
  }

  /** True when no line came out under `id` yet. */
  #free(id: string): boolean {
    if (this.#ids.get(id) !== undefined) return false;
    // A content id is given out in order, skipping only numbers a user's id took (and those are in #ids).
    const content = parseContentId(id);
    return content === undefined || content.occurrence > this.#occurrences(content.hi, content.lo);
  }

  /** Who has `id` already, for messages: "line 3's" or the earlier record it is the content id of. */
  #owner(id: string): string {
    const line = this.#ids.get(id);
    return line !== undefined ? `line ${line}'s` : "the content id of an earlier record without an id";
  }

  /** `<id>#line-<n>` (made unique in the absurd case that someone wrote that id too), registered. */
  #lineId(id: string, line: number): string {
    let unique = `${id}#line-${line}`;
    for (let n = 2; !this.#free(unique); n++) unique = `${id}#line-${line}#${n}`;
    this.#ids.set(unique, line);
    return unique;
  }
}
