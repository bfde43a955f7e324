/** Counters the tests and the benchmark read back through `SimulatorHandle.stats()`. */
import { type BatchStats, BatchStatsRecorder } from "./batch-stats.js";

export type FaultKind = "server500" | "overloaded503" | "reset" | "hang" | "truncated";

export interface SimulatorStats {
  /** Every HTTP request received on a generation route. */
  requests: number;
  /** 200 responses with a full body. */
  ok: number;
  /** Responses by HTTP status ("200", "429", …); resets and hangs have no status. */
  byStatus: Record<string, number>;
  /** 429 `rate_limit_exceeded` responses sent. */
  rateLimited: number;
  /** Injected faults, random or from `[[sim:fail:N:KIND]]`. */
  faults: { server500: number; overloaded503: number; reset: number; hang: number; truncated: number };
  /** Totals over ok responses. */
  inputTokens: number;
  outputTokens: number;
  /** Peak number of generation requests in progress at once (queued ones included). */
  maxInFlight: number;
  /** The Files and Batches API: uploads, batches created, lines billed (a pool apart from the figures above). */
  batch: BatchStats;
}

/** A generation request's body as the simulator received it (with `recordRequests`). */
export interface ReceivedRequest {
  /** `/v1/chat/completions`, `/v1/embeddings`, `/api/chat`, `/api/generate` or `/api/embed`. */
  path: string;
  body: unknown;
}

export class StatsRecorder {
  #stats: Omit<SimulatorStats, "batch"> = StatsRecorder.#empty();
  readonly batch = new BatchStatsRecorder();
  #inFlight = 0;
  /** Kept only when asked for: a benchmark's million bodies would otherwise pile up. */
  readonly #received: ReceivedRequest[] | undefined;

  constructor(recordRequests = false) {
    if (recordRequests) this.#received = [];
  }

  /** Call with each parsed JSON body of a generation route. */
  receive(path: string, body: unknown): void {
    this.#received?.push({ path, body });
  }

  received(): ReceivedRequest[] {
    return [...(this.#received ?? [])];
  }

  static #empty(): Omit<SimulatorStats, "batch"> {
    return {
      requests: 0,
      ok: 0,
      byStatus: {},
      rateLimited: 0,
      faults: { server500: 0, overloaded503: 0, reset: 0, hang: 0, truncated: 0 },
      inputTokens: 0,
      outputTokens: 0,
      maxInFlight: 0,
    };
  }

  /** Call once per generation request; the returned function ends it (idempotent). */
  begin(): () => void {
    this.#stats.requests++;
    this.#inFlight++;
    if (this.#inFlight > this.#stats.maxInFlight) this.#stats.maxInFlight = this.#inFlight;
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.#inFlight--;
    };
  }

  status(code: number): void {
    const key = String(code);
    this.#stats.byStatus[key] = (this.#stats.byStatus[key] ?? 0) + 1;
  }

  ok(inputTokens: number, outputTokens: number): void {
    this.#stats.ok++;
    this.#stats.inputTokens += inputTokens;
    this.#stats.outputTokens += outputTokens;
  }

  rateLimited(): void {
    this.#stats.rateLimited++;
  }

  fault(kind: FaultKind): void {
    this.#stats.faults[kind]++;
  }

  snapshot(): SimulatorStats {
    const s = this.#stats;
    return { ...s, byStatus: { ...s.byStatus }, faults: { ...s.faults }, batch: this.batch.snapshot() };
  }

  /** Requests still in flight keep counting toward the next peak. */
  reset(): void {
    this.#received?.splice(0);
    this.#stats = StatsRecorder.#empty();
    this.batch.reset();
    this.#stats.maxInFlight = this.#inFlight;
  }
}
