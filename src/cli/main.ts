import { readFileSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { UsageError } from "../errors.js";
import { EXIT } from "../batch.js";
import { createLogger, type Logger } from "./logger.js";
import { runCommand, type RunFlags } from "./run-command.js";
import { simulateCommand, type SimulateFlags } from "./simulate-command.js";
import { demoCommand } from "./demo-command.js";
import { validateCommand } from "./validate-command.js";

/** The process's streams and environment: read here, at the edge, and nowhere below. */
export interface CliIO {
  stdin: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream & { isTTY?: boolean };
  env: NodeJS.ProcessEnv;
}

const VERSION = (JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string }).version;

/** Runs the command line and resolves to the exit code; never calls process.exit itself. */
export async function main(argv: string[], io: CliIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
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
    .option("--ordered", "write results in input order (bounded reorder buffer) instead of completion order")
    .option("--include-input", "copy each input record's fields into its result (a CSV in gives a CSV out)")
    .option("--simulate", "run against the bundled simulator, started in-process (no network, no key)")
    .option("--no-progress", "no progress bar (it is shown only when stderr is a terminal)")
    .option("-q, --quiet", "no progress bar and no summary table; errors and warnings only")
    .option("-v, --verbose", "log retries and gate waits")
    .action(async (input: string, flags: RunFlags) => {
      exitCode = await runCommand(input, flags, io, logFor(flags));
    });

  program
    .command("validate")
    .description("check pipeline files as run does before sending anything; every problem with file:line:column")
    .argument("<pipeline...>", "pipeline YAML file(s)")
    .option("-q, --quiet", "only the problems, no line for valid files")
    .action(async (files: string[], flags: { quiet?: boolean }) => {
      exitCode = await validateCommand(files, logFor(flags));
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
      exitCode = await simulateCommand(flags, io, logFor({}));
    });

  program
    .command("demo")
    .description("run the sample batch through the sample pipeline against the bundled simulator")
    .option("-q, --quiet", "no summary table")
    .action(async (flags: { quiet?: boolean }) => {
      exitCode = await demoCommand(io, logFor(flags));
    });

  try {
    await program.parseAsync(argv);
    return exitCode;
  } catch (err) {
    return handleError(err, logFor({}));
  }
}

/** The one place that turns run-level errors into exit codes. */
function handleError(err: unknown, log: Logger): number {
  if (err instanceof CommanderError) {
    if (err.code === "commander.helpDisplayed" || err.code === "commander.version" || err.code === "commander.help") return EXIT.ok;
    return EXIT.usage; // commander already printed the message
  }
  if (err instanceof UsageError) {
    log.error(err.message);
    return EXIT.usage;
  }
  log.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  return EXIT.someFailed;
}
