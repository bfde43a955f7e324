import { statSync } from "node:fs";
import type CliProgress from "cli-progress";
import { formatFromExtension, type InputFormat } from "../io/open-input.js";
import { countRecords } from "../io/record-count.js";
import { lazyModule } from "../lazy-module.js";
import type { MetricsSnapshot } from "../metrics/metrics-recorder.js";
import { groupDigits } from "../metrics/number-format.js";
import type { Logger } from "./logger.js";

export interface Progress {
  /**
   * Called per record; reads the figures (`read`) only when it redraws. `skipped` is how many
   * records a `--resume` found done already (they count towards the total's progress).
   */
  update(read: () => MetricsSnapshot, skipped?: number): void;
  stop(): void;
}

export interface ProgressOptions {
  /** The input, whose records are counted alongside the run for a total when it is a regular file; not for stdin or a pipe. */
  input?: string;
  /** The input's format when `--format` gives it. @default from the extension */
  format?: InputFormat;
}

/** What one progress line shows. */
export interface ProgressView {
  /** Records finished in this run. */
  done: number;
  /** Records a `--resume` skipped as done before. */
  skipped: number;
  /** Records in the input, once counted. */
  total: number | undefined;
  inFlight: number;
  rpm: number;
  tpm: number;
  failed: number;
  elapsedMs: number;
}

const BAR_WIDTH = 20;

/** `42s`, `3m07s`, `2h05m`. */
export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/**
 * The line itself. With a total: a bar, done/total, percent and the time left at this run's
 * average record rate so far; without one (stdin, or while the count runs): records done.
 */
export function formatProgress(v: ProgressView): string {
  const finished = v.done + v.skipped;
  const rest = `${groupDigits(v.inFlight)} in flight · ${groupDigits(Math.round(v.rpm))} req/min · ${groupDigits(Math.round(v.tpm))} tok/min · ${groupDigits(v.failed)} failed · ${formatDuration(v.elapsedMs)}`;
  // A count that the run outgrows was wrong (a file the readers cannot follow): say no total.
  if (v.total === undefined || finished > v.total) return `${groupDigits(finished)} done · ${rest}`;
  const fraction = v.total === 0 ? 1 : finished / v.total;
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = "\u2588".repeat(filled) + "\u2591".repeat(BAR_WIDTH - filled);
  // Floored, so 100% means every record is done.
  const percent = Math.floor(fraction * 100);
  const left = v.total - finished;
  const eta = v.done > 0 && v.elapsedMs > 0 ? ` · ETA ${formatDuration((left * v.elapsedMs) / v.done)}` : "";
  return `${bar} ${groupDigits(finished)}/${groupDigits(v.total)} ${percent}%${eta} · ${rest}`;
}

// Loaded only for a terminal: a run from cron or into a pipe never pays for it.
const cliProgress = lazyModule<typeof CliProgress>("cli-progress");

const NONE: Progress = { update() {}, stop() {} };

/**
 * A live line on stderr: records done (of the input's total, for a file), in flight, live
 * RPM/TPM, errors. Only on a terminal, so logs and pipes never receive escape codes.
 *
 * The total comes from a quick count of the file's records (`countRecords`) that runs alongside
 * the run, so sending starts at once; until it is known the line shows what it shows for stdin.
 */
export function createProgress(log: Logger, enabled: boolean, options: ProgressOptions = {}): Progress {
  if (!enabled || log.stream.isTTY !== true) return NONE;
  const view: ProgressView = { done: 0, skipped: 0, total: undefined, inFlight: 0, rpm: 0, tpm: 0, failed: 0, elapsedMs: 0 };
  const counting = new AbortController();
  const format = inputFormat(options);
  if (options.input !== undefined && format !== undefined) {
    // A file the count cannot read is one the run cannot read either: the run reports it.
    countRecords(options.input, format, counting.signal).then(
      (n) => (view.total = n),
      () => {},
    );
  }
  const started = Date.now();
  const bar = new (cliProgress().SingleBar)(
    {
      stream: log.stream as NodeJS.WritableStream,
      // Drawn at each refresh (`fps`), so the elapsed time and the ETA move between records too.
      format: () => formatProgress({ ...view, elapsedMs: Date.now() - started }),
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress().Presets.shades_classic,
  );
  let running = false;
  let last = 0;
  let latest: { read: () => MetricsSnapshot; skipped: number } | undefined;
  const refresh = () => {
    const s = latest!.read();
    Object.assign(view, { done: s.done, skipped: latest!.skipped, inFlight: s.inFlight, rpm: s.rpm, tpm: s.tpm, failed: s.errors });
  };
  return {
    update(read, skipped = 0) {
      latest = { read, skipped };
      const now = Date.now();
      if (now - last < 200) return; // read the figures at most 5 times a second, whatever the record rate
      last = now;
      refresh();
      if (!running) {
        bar.start(0, 0);
        running = true;
      }
      bar.update(view.done);
    },
    stop() {
      counting.abort();
      if (!running) return;
      refresh(); // the last frame shows the final figures, not those of the last redraw
      bar.stop();
      running = false;
    },
  };
}

/**
 * The format to count the input's records in, or undefined when they are not counted: only a
 * regular file can be. A named pipe (`mkfifo`, `<(generate)`) or a device is read once: a second
 * reader would take records from the run's own (they would be lost), so it shows no total, as stdin.
 */
function inputFormat(options: ProgressOptions): InputFormat | undefined {
  if (options.input === undefined || options.input === "-" || !isRegularFile(options.input)) return undefined;
  if (options.format !== undefined) return options.format;
  try {
    return formatFromExtension(options.input);
  } catch {
    return undefined; // an extension the run refuses: it says so itself, before sending anything
  }
}

function isRegularFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false; // missing or unreadable: the run reports it, before sending anything
  }
}
