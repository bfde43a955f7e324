/**
 * The run thread (see run-thread.ts): `main` over the process's own file descriptors 0, 1 and 2,
 * opened here as Node opens them for `process.stdin`/`stdout`/`stderr` (a TTY, a pipe or socket,
 * or a file), so results and input never pass through the main thread; signals are relayed from
 * the main thread, and the exit code is sent back.
 */
import { EventEmitter } from "node:events";
import { createReadStream, createWriteStream, fstatSync } from "node:fs";
import { Socket } from "node:net";
import { isatty, ReadStream as TtyReadStream, WriteStream as TtyWriteStream } from "node:tty";
import { parentPort, workerData } from "node:worker_threads";
import { main } from "./main.js";
import type { FromRunThread, RunThreadData, ToRunThread } from "./run-thread.js";

const data = workerData as RunThreadData;
const port = parentPort!;
const signals = new EventEmitter();
// A signal relayed before the run has set up its handlers (while it loads) waits for them, as the
// run would otherwise miss a Ctrl-C pressed during its first moments.
let early: NodeJS.Signals[] = [];

port.on("message", (message: ToRunThread) => {
  if (signals.listenerCount(message.signal) > 0) signals.emit(message.signal, message.signal);
  else early.push(message.signal);
});
// Listening must not keep the thread alive once the run is over.
port.unref();

type Stream = (NodeJS.ReadableStream | NodeJS.WritableStream) & { unref?: () => void };
const opened: Stream[] = [];

function open<T extends Stream>(stream: T): T {
  opened.push(stream);
  return stream;
}

function openStdin(): NodeJS.ReadableStream {
  if (isatty(0)) return open(new TtyReadStream(0));
  const stat = fstatSync(0);
  if (stat.isFIFO() || stat.isSocket()) return open(new Socket({ fd: 0, readable: true, writable: false }));
  return open(createReadStream("", { fd: 0, autoClose: false }));
}

/** fd 1 or 2; never closed here (the process owns them), only written. */
function openOutput(fd: 1 | 2): NodeJS.WritableStream & { isTTY?: boolean } {
  if (isatty(fd)) return open(new TtyWriteStream(fd));
  const stat = fstatSync(fd);
  if (stat.isFIFO() || stat.isSocket()) return open(new Socket({ fd, readable: false, writable: true }));
  return open(createWriteStream("", { fd, autoClose: false }));
}

let stdin: NodeJS.ReadableStream | undefined;
let stdout: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
const stderr = openOutput(2);

const code = await main(data.argv, {
  get stdin() {
    return (stdin ??= openStdin());
  },
  get stdout() {
    return (stdout ??= openOutput(1));
  },
  stderr,
  env: process.env,
  signals: {
    on: (event, listener) => {
      signals.on(event, listener);
      const pending = early;
      early = [];
      if (pending.length > 0) setImmediate(() => pending.forEach((signal) => signals.emit(signal, signal)));
    },
    off: (event, listener) => signals.off(event, listener),
  },
});
// Output handed to the descriptors is written before the thread reports; input it did not read
// (a usage error before reading `-`) must not keep it waiting.
await Promise.all([stdout, stderr].map((s) => (s ? drained(s) : undefined)));
for (const s of opened) s.unref?.();
port.postMessage({ type: "exit", code } satisfies FromRunThread);

/** Resolves once everything written before is handed to the descriptor (writes complete in order). */
function drained(stream: NodeJS.WritableStream): Promise<void> {
  const s = stream as NodeJS.WritableStream & { destroyed?: boolean; writableEnded?: boolean };
  if (s.destroyed || s.writableEnded) return Promise.resolve();
  return new Promise((resolve) => s.write("", () => resolve()));
}
