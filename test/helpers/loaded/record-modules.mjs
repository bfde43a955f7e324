// Preloaded with NODE_OPTIONS=--import=…: every module URL resolved, in every thread, is appended to
// the file named by LLMBATCH_TEST_LOADED (what a run loaded, for the tests of lazy loading).
import { register } from "node:module";

register("./hooks.mjs", import.meta.url, { data: { file: process.env.LLMBATCH_TEST_LOADED } });
