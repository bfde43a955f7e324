// Preloaded with NODE_OPTIONS=--import=…: an exception nothing catches, thrown in the run thread once
// the run has started, as a bug in llmbatch would be. Used by test/cli/internal-error.test.ts.
import { isMainThread } from "node:worker_threads";

if (!isMainThread)
  setTimeout(() => {
    throw new TypeError("records.map is not a function (injected)");
  }, 0);
