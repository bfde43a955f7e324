/**
 * The first items of an input, read before a run touches its output. Reading the first item runs
 * the checks a reader makes on the start of its input (a CSV header against the templates, a CSV
 * given as JSON Lines, UTF-16 without a byte order mark, an empty input), so an input refused
 * there leaves an existing results file and its sidecar as they were. The items read ahead are
 * handed on first, in order, then the rest of the input.
 */
import type { InputRecord, ReadItem } from "../types.js";

/**
 * How many items are held at most while looking for the first record that can be read (its fields
 * are the input columns of a CSV result file): a bound on memory for an input that starts with
 * many lines that cannot be read.
 */
export const RECORD_LOOKAHEAD = 1_000;

export interface ReadAhead {
  /** Every item of the input, those read ahead first (they are let go as they are taken). Single use. */
  items: AsyncIterable<ReadItem>;
  /** True when the input had no item at all (or reading it stopped before the first one). */
  empty: boolean;
  /** The first record that could be read, when it is among the items read ahead. */
  firstRecord?: InputRecord;
  /** Ends the read (the input's file is closed) when `items` is not going to be iterated. */
  close(): Promise<void>;
}

/**
 * Reads the first item of `source`; with `untilRecord`, goes on past items that could not be read
 * until the first record (at most `RECORD_LOOKAHEAD` items). Errors of the read are thrown here.
 */
export async function readAhead(source: AsyncIterable<ReadItem>, opts: { untilRecord?: boolean } = {}): Promise<ReadAhead> {
  const it = source[Symbol.asyncIterator]();
  const held: ReadItem[] = [];
  let ended = false;
  let firstRecord: InputRecord | undefined;
  while (held.length === 0 || (opts.untilRecord && firstRecord === undefined && held.length < RECORD_LOOKAHEAD)) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    held.push(next.value);
    if (next.value.kind === "record") firstRecord = next.value.record;
  }
  // The items read ahead, then the input's own iterator: no extra step per item (this is on the
  // path of every record).
  const close = async (): Promise<IteratorReturnResult<undefined>> => {
    held.length = 0;
    await it.return?.();
    return { done: true, value: undefined };
  };
  const items: AsyncIterableIterator<ReadItem> = {
    next: () => (held.length > 0 ? Promise.resolve({ done: false, value: held.shift()! }) : it.next()),
    return: close,
    [Symbol.asyncIterator]() {
      return this;
    },
  };
  return { items, empty: ended && held.length === 0, firstRecord, close: async () => void (await close()) };
}
