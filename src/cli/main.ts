import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { UsageError } from "../errors.js";
import { EXIT } from "../exit-codes.js";
import { debugEnabled, internalErrorLines } from "./internal-error.js";
import { createLogger, type Logger } from "./logger.js";
import type { RunFlags } from "./run-command.js";
import type { SignalSource } from "./signals.js";
import type { SimulateFlags } from "./simulate-command.js";
import type { EstimateFlags } from "./estimate-command.js";

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

  program
    .command("run")
    .description("run every record of <input> through the pipeline; one JSON result line per record")
    .argument("<input>", ".jsonl / .csv / .tsv file, or - for stdin")
    .option("--format <format>", "input format: jsonl | csv | tsv (default: from the file extension; stdin: jsonl)")
    .option("--delimiter <char>", "CSV cell delimiter: , ; | or \\t (default: sniffed from the header row; a tab for .tsv)")
    .option("--encoding <name>", "input encoding: utf-8 (default), windows-1252, latin1, utf-16, utf-16le, utf-16be (a byte order mark decides)")
    .option("-p, --pipeline <file>", "pipeline YAML (default: one generate step with the record's prompt)")
    .option("-m, --model <name>", "gpt-4o-mini | ollama:llama3.2 | openai:any-name (the prefix picks the provider)")
    .addOption(new Option("--provider <name>", "openai | ollama (overrides detection)").choices(["openai", "ollama"]))
    .option("--base-url <url>", "provider endpoint (env: OPENAI_BASE_URL, OLLAMA_HOST)")
    .option("-o, --output <file>", "results file, .jsonl or .csv (default: JSONL on stdout)")
    .option("--summary <file>", "also write the run summary as JSON")
    .option("-c, --concurrency <n>", "requests in flight (default 16)")
    .option("--rpm <n>", "client-side requests-per-minute gate")
    .option("--tpm <n>", "client-side tokens-per-minute gate")
    .option("--max-retries <n>", "retries per request after the first attempt (default 5)")
    .option("--timeout <seconds>", "per-request timeout in seconds (default 120)")
    .option("--template <text>", "prompt template, e.g. 'Summarize: {{text}}' ({{field}} from the record)")
    .option("--max-tokens <n>", "maximum output tokens per request")
    .option("--temperature <x>", "sampling temperature, 0 to 2")
    .option("--resume", "continue -o <file>: skip records it has a successful line for, run the rest, append")
    .option("--retry-failed", "like --resume, but run only the records whose lines in -o <file> all failed")
    .option("--force", "resume even if -o <file> came from another pipeline or model")
    .option("--strict", "check the whole input first; refuse to start (exit 2) if any record is bad")
    .option("--max-errors <n|p%>", "stop (exit 1) once n records, or p% of those finished, failed for good")
    .option("--grace <seconds>", "after Ctrl-C, how long requests in flight may finish before they are cancelled (default 30)")
    .option("--ordered", "write results in input order (bounded reorder buffer) instead of completion order")
    .option("--include-input", "copy each input record's fields into its result (a CSV in gives a CSV out)")
    .option("--simulate", "run against the bundled simulator, started in-process (no network, no key)")
    .option("--no-progress", "no progress bar (it is shown only when stderr is a terminal)")
    .option("-q, --quiet", "no progress bar and no summary table; errors and warnings only")
    .option("-v, --verbose", "one stderr line per failed record (its id, error type and message)")
    .option("--dry-run", "estimate records, tokens, cost and time (on stderr) and send nothing")
    .option("--assume-output <n>", "with --dry-run: output tokens per call for the expected cost (default: max_tokens)")
    .option("--max-cost <usd>", "never spend more than this (USD), in-flight requests included; the rest are budget_exceeded")
    .option("--prices <file>", "YAML or JSON prices (USD per 1M tokens) that override or add to the bundled table")
    .option("--metrics-file <path>", "append live metrics, one JSON line per interval (tail -f it)")
    .option("--metrics-interval <seconds>", "seconds between --metrics-file lines (default 5)")
    .option("--report <file.html>", "write a self-contained HTML report with charts at the end")
    .action(async (input: string, flags: RunFlags) => {
      exitCode = io.runThread
        ? await io.runThread(argv)
        : await (await import("./run-command.js")).runCommand(input, flags, io, logFor(flags));
    });

  program
    .command("estimate")
    .description("estimate records, tokens, cost and time of a batch without sending anything")
    .argument("<input>", ".jsonl / .csv / .tsv file, or - for stdin")
    .option("--format <format>", "input format: jsonl | csv | tsv (default: from the file extension; stdin: jsonl)")
    .option("--delimiter <char>", "CSV cell delimiter: , ; | or \\t (default: sniffed from the header row; a tab for .tsv)")
    .option("--encoding <name>", "input encoding: utf-8 (default), windows-1252, latin1, utf-16, utf-16le, utf-16be (a byte order mark decides)")
    .option("-p, --pipeline <file>", "pipeline YAML (default: one generate step with the record's prompt)")
    .option("-m, --model <name>", "gpt-4o-mini | ollama:llama3.2 | openai:any-name")
    .addOption(new Option("--provider <name>", "openai | ollama (overrides detection)").choices(["openai", "ollama"]))
    .option("--template <text>", "prompt template, e.g. 'Summarize: {{text}}'")
    .option("--max-tokens <n>", "maximum output tokens per request")
    .option("--assume-output <n>", "output tokens per call for the expected cost (default: max_tokens)")
    .option("--rpm <n>", "requests-per-minute limit the time estimate assumes")
    .option("--tpm <n>", "tokens-per-minute limit the time estimate assumes")
    .option("--prices <file>", "YAML or JSON prices that override or add to the bundled table")
    .option("--json", "print one JSON object instead of a table")
    .action(async (input: string, flags: EstimateFlags) => {
      exitCode = await (await import("./estimate-command.js")).estimateCommand(input, flags, io);
    });

  program
    .command("validate")
    .description("check pipeline files as run does before sending anything; every problem with file:line:column")
    .argument("<pipeline...>", "pipeline YAML file(s)")
    .option("-q, --quiet", "only the problems, no line for valid files")
    .action(async (files: string[], flags: { quiet?: boolean }) => {
      exitCode = await (await import("./validate-command.js")).validateCommand(files, logFor(flags));
    });

  program
    .command("simulate")
    .description("start the bundled OpenAI- and Ollama-compatible simulator (for trying pipelines and for tests)")
    .option("--port <n>", "port to listen on (default: a free port)")
    .option("--rpm <n>", "requests-per-minute limit the simulator enforces")
    .option("--tpm <n>", "tokens-per-minute limit the simulator enforces")
    .option("--latency-ms <a..b>", "latency per request, a fixed value or a range (e.g. 100..400)")
    .option("--fail-rate <p>", "fraction of requests answered with a 500 server_error (0 to 1)")
    .option("--seed <n>", "seed for replies and faults (default 1)")
    .option("--api-key <key>", "require this key; anything else gets 401 invalid_api_key")
    .action(async (flags: SimulateFlags) => {
      exitCode = await (await import("./simulate-command.js")).simulateCommand(flags, io, logFor({}));
    });

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
