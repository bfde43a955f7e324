import type { WriteStream } from "node:fs";
import { open, type FileHandle } from "node:fs/promises";
import { UsageError } from "../errors.js";

/**
 * Where result lines go: a file or a stream we do not own (stdout), with backpressure.
 *
 * Each `write` is one `stream.write` call, so concurrent callers never interleave within a
 * line, and the stream keeps their order. When the stream's buffer is full, callers wait for
 * 'drain' (all of them on one shared promise) instead of piling up memory.
 */
export class OutputSink {
  readonly #stream: NodeJS.WritableStream;
  /** Set when we own the destination: the handle to fsync and close, and its stream. */
  readonly #file: { handle: FileHandle; stream: WriteStream } | undefined;
  /** True when writing starts at the beginning (a new or emptied file, or stdout). */
  readonly fresh: boolean;
  #error: Error | undefined;
  #drain: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  readonly #onError = (err: Error) => {
    this.#error ??= err;
  };

  private constructor(stream: NodeJS.WritableStream, file: { handle: FileHandle; stream: WriteStream } | undefined, fresh: boolean) {
    this.#stream = stream;
    this.#file = file;
    this.fresh = fresh;
    // Keep the first error for the next write or close to throw; without a listener it would crash the process.
    stream.on("error", this.#onError);
  }

  /** Opens (creating or truncating, or appending) a file; problems are `UsageError`s naming the path. */
  static async toFile(path: string, append = false): Promise<OutputSink> {
    let handle: FileHandle;
    try {
      handle = await open(path, append ? "a" : "w");
    } catch (err) {
      throw new UsageError(`cannot write output file "${path}": ${(err as Error).message}`);
    }
    const fresh = !append || (await handle.stat()).size === 0;
    // autoClose off: close() must fsync before the descriptor goes away.
    const stream = handle.createWriteStream({ autoClose: false });
    return new OutputSink(stream, { handle, stream }, fresh);
  }

  /** Writes to a stream owned by someone else (stdout): never ended or closed here. */
  static toStream(stream: NodeJS.WritableStream): OutputSink {
    return new OutputSink(stream, undefined, true);
  }

  async write(text: string): Promise<void> {
    if (this.#error) throw this.#error;
    if (this.#closing) throw new Error("write after close: the result writer is already closed");
    if (this.#stream.write(text)) return;
    await this.#waitForDrain();
  }

  /** Flushes; for a file also fsyncs and closes it. Idempotent; rethrows a write error once seen. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async #close(): Promise<void> {
    try {
      if (this.#file) {
        // Not stream.finished(): with autoClose off no 'close' ever comes, and it would wait for one.
        const { stream } = this.#file;
        await new Promise<void>((resolve, reject) => stream.end((err?: Error | null) => (err ? reject(err) : resolve())));
        await syncUnlessDevice(this.#file.handle);
      } else if ((this.#stream as { writableNeedDrain?: boolean }).writableNeedDrain) {
        await this.#waitForDrain();
      }
    } catch (err) {
      this.#error ??= err as Error;
    } finally {
      this.#stream.removeListener("error", this.#onError);
      if (this.#file) {
        // The stream holds a reference on the handle; FileHandle.close() waits until it is released.
        this.#file.stream.destroy();
        await this.#file.handle.close();
      }
    }
    if (this.#error) throw this.#error;
  }

  #waitForDrain(): Promise<void> {
    this.#drain ??= new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        this.#stream.removeListener("drain", onDrain);
        this.#stream.removeListener("error", onError);
        this.#drain = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (err: Error) => done(err);
      this.#stream.once("drain", onDrain);
      this.#stream.once("error", onError);
      // An error that came before we started listening would otherwise be waited out forever.
      if (this.#error) done(this.#error);
    });
    return this.#drain;
  }
}

/**
 * fsync makes results durable on a regular file; a device or pipe (`-o /dev/null`, a FIFO) rejects
 * it with EINVAL/ENOTSUP, which says nothing about whether the data was written.
 */
async function syncUnlessDevice(handle: { sync(): Promise<void> }): Promise<void> {
  try {
    await handle.sync();
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== "EINVAL" && code !== "ENOTSUP" && code !== "EROFS") throw err;
  }
}
