/**
 * The run thread (see run-thread.ts): `main` over this thread's stdio, with signals and a closed
 * stdout relayed from the main thread, and the exit code sent back.
 */
import { EventEmitter } from "node:events";
import { parentPort, workerData } from "node:worker_threads";
import { main } from "./main.js";
import type { FromRunThread, RunThreadData, ToRunThread } from "./run-thread.js";

const data = workerData as RunThreadData;
const port = parentPort!;
const signals = new EventEmitter();

port.on("message", (message: ToRunThread) => {
  if (message.type === "signal") signals.emit(message.signal, message.signal);
  else process.stdout.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }));
});
// Listening must not keep the thread alive once the run is over.
port.unref();

// This thread's stderr is a pipe to the main thread's; progress bar and colours follow the real one.
if (data.stderrIsTTY) Object.assign(process.stderr, { isTTY: true, columns: data.stderrColumns ?? 80 });

const code = await main(data.argv, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  signals: {
    on: (event, listener) => signals.on(event, listener),
    off: (event, listener) => signals.off(event, listener),
  },
});
port.postMessage({ type: "exit", code } satisfies FromRunThread);
// Input the run did not read (a usage error before reading `-`) keeps this thread's stdio port
// open until the stream ends; the main thread ends it now, and this drains it.
process.stdin.resume();
