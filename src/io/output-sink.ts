import { open, type FileHandle } from "node:fs/promises";
import { UsageError } from "../errors.js";

/**
 * Where result lines go: a file, or a stream we do not own (stdout), with backpressure.
 *
 * Every `write` is one line (or one CSV row) and is never split or interleaved with another.
 * - A file gets each line as its own `write(2)` call, issued in call order, and `write` resolves
 *   only once the kernel has the bytes. So a `kill -9` at any moment leaves whole lines plus at
 *   most one partial last line, which `--resume` cuts off (see `resume-journal.ts`); nothing
 *   already reported as written sits in a user-space buffer. `close` also fsyncs.
 * - A stream (stdout) gets one `stream.write` per line; when its buffer is full, callers wait
 *   for 'drain' (all of them on one shared promise) instead of piling up memory.
 */
export class OutputSink {
  readonly #stream: NodeJS.WritableStream | undefined;
  readonly #handle: FileHandle | undefined;
  /** True when writing starts at the beginning (a new or emptied file, or stdout). */
  readonly fresh: boolean;
  #error: Error | undefined;
  #drain: Promise<void> | undefined;
  /** The file's writes, chained so they reach the file in call order. */
  #lastWrite: Promise<void> = Promise.resolve();
  #closing: Promise<void> | undefined;
  readonly #onError = (err: Error) => {
    this.#error ??= err;
  };

  private constructor(target: { stream: NodeJS.WritableStream } | { handle: FileHandle }, fresh: boolean) {
    this.fresh = fresh;
    if ("handle" in target) {
      this.#handle = target.handle;
      return;
    }
    this.#stream = target.stream;
    // Keep the first error for the next write or close to throw; without a listener it would crash the process.
    this.#stream.on("error", this.#onError);
  }

  /**
   * Opens (creating or truncating, or appending to) a file with the user's umask; problems are
   * `UsageError`s naming the path.
   */
  static async toFile(path: string, append = false): Promise<OutputSink> {
    let handle: FileHandle;
    try {
      handle = await open(path, append ? "a" : "w");
    } catch (err) {
      throw new UsageError(`cannot write output file "${path}": ${(err as Error).message}`);
    }
    const fresh = !append || (await handle.stat()).size === 0;
    return new OutputSink({ handle }, fresh);
  }

  /** Writes to a stream owned by someone else (stdout): never ended or closed here. */
  static toStream(stream: NodeJS.WritableStream): OutputSink {
    return new OutputSink({ stream }, true);
  }

  write(text: string): Promise<void> {
    if (this.#error) return Promise.reject(this.#error);
    if (this.#closing) return Promise.reject(new Error("write after close: the result writer is already closed"));
    if (this.#handle) return this.#writeFile(this.#handle, text);
    if (this.#stream!.write(text)) return Promise.resolve();
    return this.#waitForDrain();
  }

  /** Flushes; for a file also fsyncs and closes it. Idempotent; rethrows a write error once seen. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  #writeFile(handle: FileHandle, text: string): Promise<void> {
    const bytes = Buffer.from(text, "utf8");
    const next = this.#lastWrite.then(async () => {
      if (this.#error) throw this.#error;
      try {
        // A regular file takes the whole buffer in one call; the loop is for the rare short write.
        for (let done = 0; done < bytes.length; ) done += (await handle.write(bytes, done)).bytesWritten;
      } catch (err) {
        this.#error ??= err as Error;
        throw this.#error;
      }
    });
    // The chain must go on after a failure (later writes reject with the same error).
    this.#lastWrite = next.catch(() => undefined);
    return next;
  }

  async #close(): Promise<void> {
    try {
      if (this.#handle) {
        await this.#lastWrite;
        if (!this.#error) await syncUnlessDevice(this.#handle);
      } else if ((this.#stream as { writableNeedDrain?: boolean }).writableNeedDrain) {
        await this.#waitForDrain();
      }
    } catch (err) {
      this.#error ??= err as Error;
    } finally {
      this.#stream?.removeListener("error", this.#onError);
      await this.#handle?.close();
    }
    if (this.#error) throw this.#error;
  }

  #waitForDrain(): Promise<void> {
    const stream = this.#stream!;
    this.#drain ??= new Promise<void>((resolve, reject) => {
      const done = (err?: Error) => {
        stream.removeListener("drain", onDrain);
        stream.removeListener("error", onError);
        this.#drain = undefined;
        if (err) reject(err);
        else resolve();
      };
      const onDrain = () => done();
      const onError = (err: Error) => done(err);
      stream.once("drain", onDrain);
      stream.once("error", onError);
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
