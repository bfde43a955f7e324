#!/usr/bin/env node
// Loads the built CLI; `npm ci` builds dist/ through the prepare script.
// `run` goes to a worker thread with its own heap settings (src/cli/run-thread.ts), unless
// LLMBATCH_RUN_THREAD=0 (for --inspect or --cpu-prof, which see the main thread only).
import { main, processIO } from "../dist/cli/main.js";
import { runInThread } from "../dist/cli/run-thread.js";
import { internalErrorText } from "../dist/cli/internal-error.js";

// An exception nothing caught is a bug: a line asking to report it and exit 70, not a stack trace.
process.on("uncaughtException", (err) => {
  process.stderr.write(internalErrorText(err, process.env));
  process.exit(70);
});

const runThread = process.env.LLMBATCH_RUN_THREAD === "0" ? undefined : runInThread;
main(process.argv, processIO({ runThread })).then((code) => {
  process.exitCode = code;
});
