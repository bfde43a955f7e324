/**
 * A request the gate can never admit because the server could never admit it either
 * (its tokens exceed the whole per-minute limit). Waiting would hang forever, so the gate rejects
 * at once; the engine turns this into a non-retriable error for that record.
 */
export class GateError extends Error {
  /** What the request needs, in the gate's unit (tokens for TPM). */
  readonly needed: number;
  /** The per-minute limit it exceeds. */
  readonly limit: number;

  constructor(needed: number, limit: number, unit: "tokens" | "requests", limitName: "TPM" | "RPM") {
    super(`request needs ${needed} ${unit} but the ${limitName} limit is ${limit}`);
    this.name = "GateError";
    this.needed = needed;
    this.limit = limit;
  }
}
