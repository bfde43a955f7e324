// Preloaded with NODE_OPTIONS=--import=…: an exception nothing catches on the main thread, thrown as
// soon as the binary has loaded (its handler is installed), as a bug outside any command's try would
// be. The timer does not keep the process alive: without a handler the run simply ends.
import { isMainThread } from "node:worker_threads";

function throwOnceLoaded() {
  if (process.listenerCount("uncaughtException") === 0) return void setTimeout(throwOnceLoaded, 1).unref();
  throw new RangeError("Invalid array length (injected)");
}
if (isMainThread) setTimeout(throwOnceLoaded, 1).unref();
