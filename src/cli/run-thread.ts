/**
 * `llmbatch run` in a worker thread, from the binary's main thread.
 *
 * Why: V8 lets the old generation grow to 4× the live heap between full collections when its heap
 * limit is 2 GB or more (the default on a machine with 16 GB of memory or more), and to at most 2×
 * below that. A streaming run keeps ~13 MB alive, so with the default the peak RSS of a long run
 * wanders up to ~150 MB, almost all of it garbage waiting for a collection. Node sets heap limits
 * only when a thread starts, so the run gets its own thread with a 1,536 MB limit: still ~100× what
 * a run keeps alive, and the peak stays near 125 MB (README "Memory"). A `--max-old-space-size` in
 * NODE_OPTIONS is the user's own choice and is left to apply instead.
 *
 * The thread shares the process: it opens file descriptors 0, 1 and 2 itself (input and results
 * never pass through the main thread, whose heap would grow with them), signals are relayed, and
 * the thread's exit code becomes the process's. kill -9 still ends everything at once.
 */
import { SHARE_ENV, Worker } from "node:worker_threads";
import { EXIT } from "../run/exit-codes.js";
import { internalErrorText } from "./internal-error.js";

/** Old-generation limit of the run thread, in MB (below V8's 2 GB threshold for 4× growth). */
export const RUN_THREAD_OLD_SPACE_MB = 1536;

/** How long the thread may take to wind down after reporting its exit code. */
const THREAD_EXIT_GRACE_MS = 5_000;

export interface RunThreadData {
  argv: string[];
}

export type ToRunThread = { type: "signal"; signal: NodeJS.Signals };
export type FromRunThread = { type: "exit"; code: number };

export function runInThread(argv: string[]): Promise<number> {
  const workerData: RunThreadData = { argv };
  const worker = new Worker(new URL("./run-thread-entry.js", import.meta.url), {
    workerData,
    env: SHARE_ENV,
    resourceLimits: userSetsHeapLimit() ? {} : { maxOldGenerationSizeMb: RUN_THREAD_OLD_SPACE_MB },
  });
  const send = (message: ToRunThread) => worker.postMessage(message);

  // The run counts signals itself (stop, then cancel); after the second it lets the third end the
  // process, so the relay steps aside after two.
  let relayed = 0;
  const onSignal = (signal: NodeJS.Signals) => {
    send({ type: "signal", signal });
    if (++relayed >= 2) removeSignalRelay();
  };
  const removeSignalRelay = () => {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  };
  process.on("SIGINT", onSignal);
  process.on("SIGTERM", onSignal);

  return new Promise((resolve) => {
    let code: number | undefined;
    worker.on("message", (message: FromRunThread) => {
      if (message.type !== "exit") return;
      code = message.code;
      // The run is over: whatever might still hold the thread open must not hold the process.
      setTimeout(() => void worker.terminate(), THREAD_EXIT_GRACE_MS).unref();
    });
    // An exception that escaped the run, or the heap running out: not the provider's doing (3),
    // so both are internal errors (70); only the out-of-memory one says what to change.
    worker.on("error", (err: Error & { code?: string }) => {
      process.stderr.write(
        err.code === "ERR_WORKER_OUT_OF_MEMORY"
          ? `error: the run needed more than ${RUN_THREAD_OLD_SPACE_MB} MB of JavaScript heap; allow more with NODE_OPTIONS=--max-old-space-size=<MB> (a streaming run keeps ~15 MB alive: unless its records are huge, please report it)\n`
          : internalErrorText(err, process.env),
      );
      code = EXIT.internal;
    });
    worker.on("exit", () => {
      removeSignalRelay();
      if (code === undefined) {
        process.stderr.write(internalErrorText("the run thread ended without reporting how the run went", {}));
        code = EXIT.internal;
      }
      resolve(code);
    });
  });
}

/** A heap limit given to Node by the user (command line or NODE_OPTIONS) wins over ours. */
function userSetsHeapLimit(): boolean {
  return [...process.execArgv, ...(process.env.NODE_OPTIONS ?? "").split(/\s+/)].some((a) => /^--max-old-space-size(=|$)/.test(a));
}
