/**
 * `llmbatch validate <pipeline.yaml…>`: the checks `run` makes before sending anything, without
 * an input or a provider. Problems go to stderr as `file:line:column: message`; exit 2 when any
 * file has one, 0 when every file is valid.
 */
import { loadPipeline } from "../config/pipeline.js";
import { ConfigError, formatProblem } from "../config/config-error.js";
import { EXIT } from "../run/exit-codes.js";
import { preparePipeline } from "../engine/pipeline-runner.js";
import { UsageError } from "../errors.js";
import type { Logger } from "./logger.js";

export async function validateCommand(files: string[], log: Logger): Promise<number> {
  let failed = 0;
  for (const file of files) {
    try {
      const pipeline = await loadPipeline(file);
      // Compiling is what `run` does next; it must not find anything the loader missed.
      preparePipeline(pipeline);
      const methods = pipeline.steps.map((s) => `${s.id} (${s.method})`).join(", ");
      log.info(`${file}: ok: pipeline "${pipeline.name}", ${pipeline.steps.length} step${pipeline.steps.length === 1 ? "" : "s"}: ${methods}`);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      failed++;
      if (err instanceof ConfigError) {
        for (const p of err.problems) log.error(formatProblem(p));
        log.info(`${file}: ${err.problems.length} problem${err.problems.length === 1 ? "" : "s"}`);
      } else log.error(err.message);
    }
  }
  return failed === 0 ? EXIT.ok : EXIT.usage;
}
