/**
 * Everything a run reports about itself while it runs: the live counters (progress bar), the
 * `--metrics-file` lines and the `--report` page drawn from the same samples at the end.
 */
import type { AttemptObserver } from "../engine/llm-call.js";
import { writeFileAtomic } from "../io/atomic-file.js";
import { liveLine, MetricsFile, startSampler, type LiveExtras, type LiveLine } from "../metrics/live-metrics.js";
import { MetricsRecorder } from "../metrics/metrics-recorder.js";
import type { RunSummary } from "../metrics/summary.js";
import { Timeline } from "../metrics/timeline.js";
import { renderReport } from "../report/html-report.js";
import type { GenerationResult } from "../types.js";

export interface RunMonitorOptions {
  /** `--metrics-file`: append one JSON line per sample here. */
  metricsFile?: string;
  /** `--metrics-interval` in ms. @default 5000 */
  intervalMs?: number;
  /** `--report`: write the HTML report here at the end. */
  reportPath?: string;
  /** Heading of the report. */
  title: string;
}

/** Report samples: often enough for a short run to draw a curve, bounded by `Timeline` for long ones. */
const REPORT_SAMPLE_MS = 250;

export class RunMonitor {
  readonly metrics = new MetricsRecorder();
  readonly observer: AttemptObserver;
  readonly #opts: RunMonitorOptions;
  readonly #timeline = new Timeline();
  readonly #stops: { stop(): void }[] = [];
  #file: MetricsFile | undefined;
  #last: LiveLine | undefined;

  constructor(options: RunMonitorOptions) {
    this.#opts = options;
    this.observer = this.metrics.attemptObserver();
  }

  /** Starts sampling; `extras` reads what the recorder cannot see (gate queues, the budget). */
  start(extras: () => LiveExtras): void {
    const sample = () => (this.#last = liveLine(this.metrics.snapshot(), extras()));
    if (this.#opts.metricsFile) {
      const file = (this.#file = new MetricsFile(this.#opts.metricsFile));
      this.#stops.push(startSampler({ intervalMs: this.#opts.intervalMs ?? 5_000, sample, onLine: (l) => file.write(l) }));
    }
    if (this.#opts.reportPath) {
      this.#timeline.add(sample());
      this.#stops.push(startSampler({ intervalMs: REPORT_SAMPLE_MS, sample, onLine: (l) => this.#timeline.add(l) }));
    }
  }

  recordResult(result: GenerationResult): void {
    this.metrics.recordResult(result);
  }

  /** Takes the last samples, closes the metrics file and writes the report. */
  async finish(summary: RunSummary | undefined): Promise<void> {
    for (const s of this.#stops) s.stop();
    await this.#file?.close();
    if (this.#opts.reportPath && summary) {
      const html = renderReport({ summary, points: this.#timeline.points(this.#last), title: this.#opts.title });
      await writeFileAtomic(this.#opts.reportPath, html);
    }
  }
}
