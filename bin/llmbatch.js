#!/usr/bin/env node
// Loads the built CLI; `npm ci` builds dist/ through the prepare script.
// `run` goes to a worker thread with its own heap settings (src/cli/run-thread.ts).
import { main } from "../dist/cli/main.js";
import { runInThread } from "../dist/cli/run-thread.js";

main(process.argv, { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env, runThread: runInThread }).then((code) => {
  process.exitCode = code;
});
