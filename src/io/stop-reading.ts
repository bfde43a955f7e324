/**
 * Reading stdin (or any stream that is not a file) stops at an interrupt. After a stop, a file is
 * read to its end so every record gets a `not_attempted` line; a pipe that stays open (a producer
 * still running, a terminal) would keep the run waiting for its end after Ctrl-C, so it is not read
 * past the interrupt: the records still in it are simply not in the output.
 */
import { Readable } from "node:stream";

export interface StoppableInput {
  /** The chunks of `stream` up to the end, or up to the abort of the signal. */
  stream: NodeJS.ReadableStream;
  /** True once reading stopped at the signal rather than at the stream's end. */
  readonly stopped: boolean;
}

/**
 * `stream`'s chunks until it ends or `signal` aborts, even while a read is pending: then the stream
 * is destroyed (nothing more is read from it, and an open pipe holds the process no longer) and
 * `onStop` is called once. Per chunk (64 KiB), not per record.
 */
export function stopReadingOn(stream: NodeJS.ReadableStream, signal: AbortSignal, onStop: () => void): StoppableInput {
  const state = { stopped: false };
  async function* chunks(): AsyncGenerator<Uint8Array | string> {
    const it = stream[Symbol.asyncIterator]();
    while (!signal.aborted) {
      const r = await nextOrAbort(it, signal);
      if (r === ABORTED) break;
      if (r.done) return;
      yield r.value as Uint8Array | string;
    }
    state.stopped = true;
    (stream as Partial<Readable>).destroy?.();
    onStop();
  }
  return {
    stream: Readable.from(chunks(), { objectMode: true, highWaterMark: 1 }),
    get stopped() {
      return state.stopped;
    },
  };
}

const ABORTED = Symbol("aborted");

/**
 * The next chunk, or ABORTED if the signal aborts first. One listener per read, removed when the
 * read settles: a single promise raced against every read would keep every chunk reachable.
 */
function nextOrAbort<T>(it: AsyncIterator<T>, signal: AbortSignal): Promise<IteratorResult<T> | typeof ABORTED> {
  return new Promise((resolve, reject) => {
    const onAbort = () => resolve(ABORTED);
    signal.addEventListener("abort", onAbort, { once: true });
    it.next().then(
      (r) => {
        signal.removeEventListener("abort", onAbort);
        resolve(r);
      },
      (err: unknown) => {
        signal.removeEventListener("abort", onAbort);
        // After an abort this promise is settled already (the stream is destroyed and its pending
        // read may fail): the rejection then changes nothing, and there is no one left to tell.
        reject(err);
      },
    );
  });
}
