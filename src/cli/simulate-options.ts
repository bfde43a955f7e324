/** Kept apart from simulate-command.ts so `main.ts` can declare the flags without loading the simulator. */

/**
 * The simulator's Batch API flags (docs/simulator-batch.md), as [commander flag, help] pairs for
 * `llmbatch simulate` to declare; `simulatorOptions` reads them back from `SimulateFlags`.
 */
export const BATCH_SIMULATE_OPTIONS: readonly (readonly [string, string])[] = [
  ["--batch-validating-ms <n>", "time a batch spends validating (default 100)"],
  ["--batch-lines-per-second <n>", "batch lines run per second once in progress (default 2000)"],
  ["--batch-finalizing-ms <n>", "time a batch spends finalizing (default 100)"],
  ["--batch-window-ms <n>", "completion window: a batch still running after it expires with partial results (default 24 h)"],
  ["--batch-max-requests <n>", "most lines in one batch; more fails validation (default 50000)"],
  ["--batch-enqueued-token-limit <n>", "enqueued prompt tokens allowed per model; beyond it a batch fails with token_limit_exceeded (default unlimited)"],
  ["--batch-line-fail-rate <p>", "fraction of batch lines answered 500 in the error file (0 to 1)"],
  ["--batch-drop-creates <n>", "the first n batch creates make the batch, then drop the connection (the double-create trap)"],
];
