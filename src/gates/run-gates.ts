/**
 * The gates the calls of a run spend from. One set may be shared: give the same `RunGates` to a
 * `BaseLLMService` and to `runPipeline` (or a `GenerationEngine`) in one process, and their calls
 * are paced together against one limit, as the provider counts them.
 */
import { RUN_GATE_OPTIONS } from "./gate-options.js";
import { RpmGate } from "./rpm-gate.js";
import { TpmGate } from "./tpm-gate.js";

export interface RunGates {
  rpm: RpmGate;
  tpm: TpmGate;
}

export interface RunGateLimits {
  /** Client-side requests per minute. @default unlimited (until the server reports its limit) */
  rpm?: number | undefined;
  /** Client-side tokens per minute. @default unlimited (until the server reports its limit) */
  tpm?: number | undefined;
}

/** Gates built as a run builds its own: limits the server reports are adopted (the lower wins), with the transit margin. */
export function createRunGates(limits: RunGateLimits = {}): RunGates {
  return { rpm: new RpmGate({ ...RUN_GATE_OPTIONS, limit: limits.rpm }), tpm: new TpmGate({ ...RUN_GATE_OPTIONS, limit: limits.tpm }) };
}
