import { readFileSync } from "node:fs";
import { Command, CommanderError } from "commander";
import { UsageError } from "../errors.js";
import { EXIT } from "../run/exit-codes.js";
import { debugEnabled, internalErrorLines } from "./internal-error.js";
import { createLogger, type Logger } from "./logger.js";
import { addOptions, ESTIMATE_HELP_AFTER, ignoredFlagsGiven, INPUT_ARGUMENT, RUN_OPTIONS, type RunFlags } from "./options.js";
import type { SignalSource } from "./signals.js";
import type { SimulateFlags } from "./simulate-command.js";
import { BATCH_SIMULATE_OPTIONS } from "./simulate-options.js";
import type { CacheFlags } from "./cache-command.js";

/** The process's streams and environment: read here, at the edge, and nowhere below. */
export interface CliIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
  /** SIGINT/SIGTERM for `run`. @default process */
  signals?: SignalSource;
  /**
   * Given by the `llmbatch` binary: runs `run` in a worker thread with a heap configured for a long
   * streaming job (see run-thread.ts). Without it, `run` runs in the calling thread.
   */
  runThread?: (argv: string[]) => Promise<number>;
}

// Each command's module is imported when that command runs, so `run` never loads the simulator,
// and `--help` loads almost nothing.
const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/**
 * The process's own streams, as getters: each is opened only if used, so a main thread that hands
 * `run` to its thread (which opens the descriptors itself) never opens them.
 */
export function processIO(extra: Pick<CliIO, "runThread"> = {}): CliIO {
  return {
    get stdin() {
      return process.stdin;
    },
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    env: process.env,
    ...extra,
  };
}

/** Runs the command line and resolves to the exit code; never calls process.exit itself. */
export async function main(argv: string[], io: CliIO = processIO()): Promise<number> {
  let exitCode: number = EXIT.ok;
  const logFor = (opts: { quiet?: boolean; verbose?: boolean }): Logger =>
    createLogger({ level: opts.quiet ? "quiet" : opts.verbose ? "verbose" : "normal", stream: io.stderr, noColor: io.env.NO_COLOR !== undefined && io.env.NO_COLOR !== "" });

  const program = new Command("llmbatch")
    .description("Run batches of LLM prompts through rate-limit gates, retries and a bounded concurrent engine.")
    .version(VERSION, "-V, --version")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .showHelpAfterError("(run with --help for usage)");

  const run = program.command("run").description("run every record of <input> through the pipeline; one JSON result line per record").argument(INPUT_ARGUMENT.name, INPUT_ARGUMENT.help);
  addOptions(run, RUN_OPTIONS, "run").action(async (input: string, flags: RunFlags, command: Command) => {
    exitCode = io.runThread ? await io.runThread(argv) : await (await import("./run-command.js")).runCommand(input, flags, io, logFor(flags), ignoredFlagsGiven(command, RUN_OPTIONS));
  });

  const estimate = program
    .command("estimate")
    .description("estimate records, tokens, cost and time of a batch without sending anything")
    .argument(INPUT_ARGUMENT.name, INPUT_ARGUMENT.help)
    .addHelpText("after", ESTIMATE_HELP_AFTER);
  addOptions(estimate, RUN_OPTIONS, "estimate").action(async (input: string, flags: RunFlags, command: Command) => {
    const ignored = ignoredFlagsGiven(command, RUN_OPTIONS);
    exitCode = await (await import("./estimate-command.js")).estimateCommand(input, flags, io, logFor(flags), ignored);
  });

  program
    .command("validate")
    .description("check pipeline files as run does before sending anything; every problem with file:line:column")
    .argument("<pipeline...>", "pipeline YAML file(s)")
    .option("-q, --quiet", "only the problems, no line for valid files")
    .action(async (files: string[], flags: { quiet?: boolean }) => {
      exitCode = await (await import("./validate-command.js")).validateCommand(files, logFor(flags));
    });

  const simulate = program
    .command("simulate")
    .description("start the bundled OpenAI- and Ollama-compatible simulator (for trying pipelines and for tests)")
    .option("--port <n>", "port to listen on (default: a free port)")
    .option("--rpm <n>", "requests-per-minute limit the simulator enforces")
    .option("--tpm <n>", "tokens-per-minute limit the simulator enforces")
    .option("--latency-ms <a..b>", "latency per request, a fixed value or a range (e.g. 100..400)")
    .option("--fail-rate <p>", "fraction of requests answered with a 500 server_error (0 to 1)")
    .option("--seed <n>", "seed for replies and faults (default 1)")
    .option("--api-key <key>", "require this key; anything else gets 401 invalid_api_key")
    .option("--models <a,b>", "serve only these models (and their dated snapshots and :tags); others get 404 model_not_found (default: any name)");
  for (const [flag, help] of BATCH_SIMULATE_OPTIONS) simulate.option(flag, help);
  simulate.action(async (flags: SimulateFlags) => {
    exitCode = await (await import("./simulate-command.js")).simulateCommand(flags, io, logFor({}));
  });

  const cache = program.command("cache").description("the response cache of --cache: what it holds, and emptying it");
  cache
    .command("stats")
    .description("entries, size, and hits and misses per day")
    .option("--cache-dir <dir>", "the cache's directory (env: LLMBATCH_CACHE_DIR; default $XDG_CACHE_HOME/llmbatch, else ~/.cache/llmbatch)")
    .option("--json", "one JSON object on stdout instead of the table on stderr")
    .action(async (flags: CacheFlags) => {
      exitCode = await (await import("./cache-command.js")).cacheStatsCommand(flags, io, logFor({}));
    });
  cache
    .command("clear")
    .description("remove the cached answers: all of them, or those older than --older-than")
    .option("--cache-dir <dir>", "the cache's directory (env: LLMBATCH_CACHE_DIR; default $XDG_CACHE_HOME/llmbatch, else ~/.cache/llmbatch)")
    .option("--older-than <duration>", "only answers stored longer ago than this, e.g. 30d, 12h")
    .action(async (flags: CacheFlags) => {
      exitCode = await (await import("./cache-command.js")).cacheClearCommand(flags, io, logFor({}));
    });

  const batches = program.command("batches").description("the provider batches behind a results file of run --batch: their state, or cancel them");
  for (const [action, description] of [
    ["status", "each batch's state and counts, as the provider reports them now"],
    ["cancel", "cancel the batches still running (finished lines stay collectable: run again with --resume)"],
  ] as const) {
    batches
      .command(action)
      .description(description)
      .argument("<results>", "the results file (-o) of run --batch; its journal is <results>.batches.json")
      .option("-p, --pipeline <file>", "the run's pipeline, for its named endpoints")
      .option("--base-url <url>", "the provider endpoint (env: OPENAI_BASE_URL)")
      .option("--json", "print one JSON array on stdout instead of lines on stderr")
      .action(async (results: string, flags: { pipeline?: string; baseUrl?: string; json?: boolean }) => {
        exitCode = await (await import("./batches-command.js")).batchesCommand(action, results, flags, io, logFor({}));
      });
  }

  program
    .command("demo")
    .description("run the sample batch through the sample pipeline against the bundled simulator")
    .option("-q, --quiet", "no summary table")
    .action(async (flags: { quiet?: boolean }) => {
      exitCode = await (await import("./demo-command.js")).demoCommand(io, logFor(flags));
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return handleError(err, logFor({}), debugEnabled(io.env));
  }
}

/** The one place that turns run-level errors into exit codes. */
function handleError(err: unknown, log: Logger, debug: boolean): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version") return EXIT.ok;
    // `llmbatch help` asked for it (0); `llmbatch` with no command got it on stderr instead of a run (1).
    if (err.code === "commander.help") return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    return EXIT.usage; // commander already printed the message
  }
  if (err instanceof UsageError) {
    log.error(err.message);
    return EXIT.usage;
  }
  const [first, ...rest] = internalErrorLines(err, debug);
  log.error(first!);
  for (const line of rest) log.stream.write(`${line}\n`);
  return EXIT.internal;
}
