import type CliProgress from "cli-progress";
import { lazyModule } from "../lazy-module.js";
import type { MetricsSnapshot } from "../metrics/metrics-recorder.js";
import type { Logger } from "./logger.js";

export interface Progress {
  /** Called per record; reads the figures (`read`) only when it redraws. */
  update(read: () => MetricsSnapshot): void;
  stop(): void;
}

// Loaded only for a terminal: a run from cron or into a pipe never pays for it.
const cliProgress = lazyModule<typeof CliProgress>("cli-progress");

const NONE: Progress = { update() {}, stop() {} };

/**
 * A live line on stderr: records done, in flight, live RPM/TPM, errors. Only on a terminal, so
 * logs and pipes never receive escape codes. The total is unknown while the input streams.
 */
export function createProgress(log: Logger, enabled: boolean): Progress {
  if (!enabled || log.stream.isTTY !== true) return NONE;
  const bar = new (cliProgress().SingleBar)(
    {
      stream: log.stream as NodeJS.WritableStream,
      format: "{done} done · {inflight} in flight · {rpm} req/min · {tpm} tok/min · {errors} failed · {elapsed}s",
      hideCursor: true,
      clearOnComplete: true,
      fps: 5,
    },
    cliProgress().Presets.shades_classic,
  );
  const started = Date.now();
  let running = false;
  let last = 0;
  return {
    update(read) {
      const now = Date.now();
      if (now - last < 200) return; // redraw at most 5 times a second, whatever the record rate
      last = now;
      const s = read();
      const payload = { done: s.done, inflight: s.inFlight, rpm: Math.round(s.rpm), tpm: Math.round(s.tpm), errors: s.errors, elapsed: Math.round((now - started) / 1000) };
      if (!running) {
        bar.start(0, 0, payload);
        running = true;
      }
      bar.update(s.done, payload);
    },
    stop() {
      if (running) bar.stop();
      running = false;
    },
  };
}
