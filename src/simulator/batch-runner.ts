/**
 * The batch clock: moves every batch through validating → in_progress → finalizing → completed
 * (or failed, expired, cancelling → cancelled) at the times its options give, running its lines at
 * `linesPerSecond` and writing its output and error files when it ends. Each transition happens at
 * its scheduled time even when observed later (a timer ticks, and every route calls `advance()`
 * before it reads), so timestamps and the enqueued-token pool do not depend on who polls when.
 */
import type { BatchStatsRecorder } from "./batch-stats.js";
import { notRunErrors, validationErrors } from "./batch-errors.js";
import { runLine } from "./batch-lines.js";
import { type BatchRecord, type BatchStatus, type BatchStore, isTerminal } from "./batch-store.js";
import { type ValidationLimits, validateBatchInput } from "./batch-validate.js";
import type { SimContext } from "./context.js";
import type { FileStore } from "./file-store.js";
import { randomId } from "./ids.js";
import type { Rng } from "./rng.js";

export interface BatchClock extends ValidationLimits {
  validatingMs: number;
  linesPerSecond: number;
  finalizingMs: number;
  cancellingMs: number;
  completionWindowMs: number;
  /** Per model as the bodies name it; undefined = no limit. */
  enqueuedTokenLimit: (model: string) => number | undefined;
  lineFailureRate: number;
}

const TICK_MS = 20;
const seconds = (ms: number) => Math.floor(ms / 1000);

export class BatchRunner {
  #timer: NodeJS.Timeout | undefined;
  #held = false;

  constructor(
    readonly ctx: SimContext,
    readonly clock: BatchClock,
    readonly store: BatchStore,
    readonly files: FileStore,
    readonly stats: BatchStatsRecorder,
    readonly failureRng: Rng,
    readonly log: (message: string) => void,
  ) {}

  /** Starts the ticking while any batch is not terminal (unref'd: it never holds a process open). */
  wake(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      try {
        if (!this.advance() || this.#held) this.stop();
      } catch (error) {
        this.log(`simulator: batch clock: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      }
    }, TICK_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /**
   * While held, no batch moves (no validation, no line runs, no transition); on release every batch
   * catches up at once with what its schedule says, so a held test can then finish quickly.
   */
  hold(held: boolean): void {
    this.#held = held;
    if (!held) this.wake();
  }

  /** Brings every batch up to `now`; true while some batch is still running. */
  advance(now = Date.now()): boolean {
    if (this.#held) return true;
    let running = false;
    for (const record of this.store.all()) {
      if (isTerminal(record.wire.status)) continue;
      this.#step(record, now);
      running ||= !isTerminal(record.wire.status);
    }
    return running;
  }

  /** `POST /v1/batches/{id}/cancel` on a validating or in_progress batch: its lines stop now. */
  cancel(record: BatchRecord, now = Date.now()): void {
    if (!this.#held) this.#step(record, now);
    const status = record.wire.status;
    if (status !== "validating" && status !== "in_progress") return;
    record.cancelMs = now;
    record.enqueuedUntilMs ??= record.enqueuedFromMs === undefined ? undefined : now;
    this.#set(record, "cancelling", now);
    this.wake();
  }

  #step(r: BatchRecord, now: number): void {
    for (;;) {
      const status = r.wire.status;
      if (status === "validating") {
        const at = r.createdMs + this.clock.validatingMs;
        if (r.expiresMs <= Math.min(at, now)) return this.#end(r, "expired", r.expiresMs);
        if (at > now) return;
        if (!this.#validate(r, at)) return;
      } else if (status === "in_progress") {
        const start = r.inProgressMs ?? r.createdMs;
        const horizon = Math.min(now, r.expiresMs);
        const due = Math.min(r.lines.length, Math.floor(((horizon - start) * this.clock.linesPerSecond) / 1000));
        this.#run(r, due);
        if (r.next === r.lines.length) {
          r.finalizingMs = start + Math.ceil((r.lines.length * 1000) / this.clock.linesPerSecond);
          this.#set(r, "finalizing", r.finalizingMs);
          continue;
        }
        if (now >= r.expiresMs) return this.#end(r, "expired", r.expiresMs);
        return;
      } else if (status === "finalizing") {
        const at = (r.finalizingMs ?? now) + this.clock.finalizingMs;
        if (at > now) return;
        r.enqueuedUntilMs = at;
        return this.#end(r, "completed", at);
      } else if (status === "cancelling") {
        const at = (r.cancelMs ?? now) + this.clock.cancellingMs;
        if (at > now) return;
        return this.#end(r, "cancelled", at);
      } else return;
    }
  }

  /** Validation at `at`: the batch fails, or enters in_progress (and the enqueued-token pool); false when it failed. */
  #validate(r: BatchRecord, at: number): boolean {
    const result = validateBatchInput(this.ctx, r.input.content, r.wire.endpoint, this.clock, (model) => this.clock.enqueuedTokenLimit(model) !== undefined);
    if (result.model !== undefined) r.wire.model = this.ctx.catalog.resolve(result.model)?.responseName ?? result.model;
    if (!result.ok) {
      r.wire.errors = { object: "list", data: result.errors };
      this.#set(r, "failed", at);
      return false;
    }
    const limit = this.clock.enqueuedTokenLimit(result.model);
    if (limit !== undefined && this.#enqueued(result.model, at) + result.promptTokens > limit) {
      r.wire.errors = { object: "list", data: [validationErrors.tokenLimit(result.model, limit)] };
      this.#set(r, "failed", at);
      return false;
    }
    r.lines = result.lines;
    r.model = result.model;
    r.enqueuedTokens = result.promptTokens;
    r.enqueuedFromMs = at;
    r.inProgressMs = at;
    r.wire.request_counts.total = result.lines.length;
    this.#set(r, "in_progress", at);
    return true;
  }

  /** Prompt tokens of `model`'s batches in the pool at `at` (validated, not yet completed or cancelled). */
  #enqueued(model: string, at: number): number {
    let total = 0;
    for (const r of this.store.all()) {
      if (r.model !== model || r.enqueuedFromMs === undefined || r.enqueuedFromMs > at) continue;
      if (r.enqueuedUntilMs !== undefined && r.enqueuedUntilMs <= at) continue;
      total += r.enqueuedTokens;
    }
    return total;
  }

  #run(r: BatchRecord, due: number): void {
    const counts = r.wire.request_counts;
    const usage = r.wire.usage;
    for (; r.next < due; r.next++) {
      const line = r.lines[r.next];
      if (!line) break;
      const result = runLine(this.ctx, r.wire.endpoint, line, this.clock.lineFailureRate > 0 ? this.failureRng : undefined, this.clock.lineFailureRate);
      this.stats.line(line.customId, result.model, result.ok ? result : undefined);
      if (result.ok) {
        counts.completed++;
        usage.input_tokens += result.inputTokens;
        usage.output_tokens += result.outputTokens;
        usage.total_tokens += result.inputTokens + result.outputTokens;
        r.outputLines.push(result.json);
      } else {
        counts.failed++;
        r.errorLines.push(result.json);
      }
    }
  }

  /** A terminal state at `at`: the lines that never ran go to the error file, then both files are written. */
  #end(r: BatchRecord, status: "completed" | "expired" | "cancelled", at: number): void {
    r.enqueuedUntilMs ??= r.enqueuedFromMs === undefined ? undefined : at;
    if (status !== "completed") {
      const error = status === "expired" ? notRunErrors.expired() : notRunErrors.cancelled();
      for (const line of r.lines.slice(r.next)) {
        r.errorLines.push(JSON.stringify({ id: randomId("batch_req_", 24), custom_id: line.customId, response: null, error }));
      }
    }
    const id = r.wire.id;
    if (r.outputLines.length > 0) r.wire.output_file_id = this.#write(`${id}_output.jsonl`, r.outputLines, r.outputTtlSeconds);
    if (r.errorLines.length > 0) r.wire.error_file_id = this.#write(`${id}_error.jsonl`, r.errorLines, r.outputTtlSeconds);
    r.outputLines = [];
    r.errorLines = [];
    this.#set(r, status, at);
  }

  #write(filename: string, lines: string[], ttl: number | undefined): string {
    return this.files.add(filename, "batch_output", Buffer.from(`${lines.join("\n")}\n`), ttl).object.id;
  }

  #set(r: BatchRecord, status: BatchStatus, at: number): void {
    r.wire.status = status;
    const stamp = seconds(at);
    const w = r.wire;
    if (status === "in_progress") w.in_progress_at = stamp;
    else if (status === "finalizing") w.finalizing_at = stamp;
    else if (status === "completed") w.completed_at = stamp;
    else if (status === "failed") w.failed_at = stamp;
    else if (status === "expired") w.expired_at = stamp;
    else if (status === "cancelling") w.cancelling_at = stamp;
    else if (status === "cancelled") w.cancelled_at = stamp;
  }
}
