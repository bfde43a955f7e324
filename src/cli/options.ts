/**
 * The options of `llmbatch run` and `llmbatch estimate`, declared once as data (as citty's `ArgsDef`
 * does): commander's definitions of both commands, their help text and the typed flags all come
 * from this table, so the two commands cannot drift apart. `estimate` accepts every flag of `run`,
 * so `run` can be swapped for `estimate` in a command line; the flags that do not change an
 * estimate are accepted, hidden from its help and named in one note.
 */
import { Option, type Command } from "commander";

export interface OptionSpec {
  /** commander's flags: `-o, --output <file>` takes a value, `--ordered` is a switch. */
  readonly flags: string;
  /** The help text under `run --help` (and `estimate --help`, unless `estimate.help`). */
  readonly help: string;
  readonly choices?: readonly string[];
  /**
   * How `estimate` treats the flag. `help`: its own help text there. `ignored`: accepted and
   * without effect on the estimate; `"noted"` names it in a note on stderr (it would change what a
   * run does), `"silently"` does not (it only changes how a run is displayed, or is implied).
   * @default used as by `run`, with the same help text
   */
  readonly estimate?: { readonly help?: string; readonly ignored?: "noted" | "silently" };
  /** A switch that also has its `--no-` form (`--cache` / `--no-cache`): that form's help. Unset on the command line, the value is undefined. */
  readonly negation?: string;
}

/** Both commands take the same input argument. */
export const INPUT_ARGUMENT = { name: "<input>", help: ".jsonl / .csv / .tsv file, or - for stdin" } as const;

/** The default of `--assume-output`, in the words both commands' help uses. */
const TYPICAL_OUTPUT_HELP = "default: half of each call's max_tokens, at most 500";

/**
 * Every option of `run`, keyed by the name commander gives its value (`--max-tokens` → `maxTokens`,
 * `--no-progress` → `progress`; a test checks the keys). The order is the help's order.
 */
export const RUN_OPTIONS = {
  format: { flags: "--format <format>", help: "input format: jsonl | csv | tsv (default: from the file extension; stdin: jsonl)" },
  delimiter: { flags: "--delimiter <char>", help: "CSV cell delimiter: , ; | or \\t (default: sniffed from the header row; a tab for .tsv)" },
  encoding: { flags: "--encoding <name>", help: "input encoding: utf-8 (default), windows-1252, latin1, utf-16, utf-16le, utf-16be (a byte order mark decides)" },
  pipeline: { flags: "-p, --pipeline <file>", help: "pipeline YAML (default: one generate step with the record's prompt)" },
  model: { flags: "-m, --model <name>", help: "gpt-4o-mini | ollama:llama3.2 | openai:any-name (the prefix picks the provider)" },
  provider: { flags: "--provider <name>", help: "openai | ollama | an endpoint of the pipeline: where model names without a prefix go (overrides detection)" },
  baseUrl: { flags: "--base-url <url>", help: "provider endpoint (env: OPENAI_BASE_URL, OLLAMA_HOST)", estimate: { ignored: "noted" } },
  output: { flags: "-o, --output <file>", help: "results file, .jsonl, .csv or .tsv (default: JSONL on stdout)", estimate: { ignored: "noted" } },
  outputFormat: { flags: "--output-format <format>", help: "results format: jsonl | csv | tsv, whatever the -o name (also for stdout)", estimate: { ignored: "noted" } },
  csvGuard: { flags: "--no-csv-guard", help: "CSV/TSV results: do not prefix text that starts with = + - @ with ' (the formula guard)", estimate: { ignored: "noted" } },
  bom: { flags: "--bom", help: "CSV/TSV results: start with a UTF-8 byte-order mark, so Excel reads accents and emoji", estimate: { ignored: "noted" } },
  summary: { flags: "--summary <file>", help: "also write the run summary as JSON", estimate: { ignored: "noted" } },
  concurrency: { flags: "-c, --concurrency <n>", help: "requests in flight (default 16)", estimate: { ignored: "noted" } },
  rpm: {
    flags: "--rpm <n>",
    help: "client-side requests per minute, of each model's quota (per server for Ollama)",
    estimate: { help: "requests-per-minute limit (of each model) the time estimate assumes" },
  },
  tpm: { flags: "--tpm <n>", help: "client-side tokens per minute, of each model's quota", estimate: { help: "tokens-per-minute limit (of each model) the time estimate assumes" } },
  redis: {
    flags: "--redis <url>",
    help: "share each quota (RPM, TPM, learned limits, 429 pauses) with every llmbatch process naming this Redis: redis://[user:password@]host[:port][/db] or rediss:// (env: LLMBATCH_REDIS_URL)",
    estimate: { ignored: "noted" },
  },
  maxRetries: { flags: "--max-retries <n>", help: "retries per request after the first attempt (default 5)", estimate: { ignored: "noted" } },
  timeout: { flags: "--timeout <seconds>", help: "per-request timeout in seconds (default 120)", estimate: { ignored: "noted" } },
  template: { flags: "--template <text>", help: "prompt template, e.g. 'Summarize: {{text}}' ({{field}} from the record)" },
  maxTokens: { flags: "--max-tokens <n>", help: "maximum output tokens per request" },
  temperature: { flags: "--temperature <x>", help: "sampling temperature, 0 to 2", estimate: { ignored: "noted" } },
  resume: { flags: "--resume", help: "continue -o <file>: skip records it has a successful line for, run the rest, append", estimate: { ignored: "noted" } },
  retryFailed: { flags: "--retry-failed", help: "like --resume, but run only the records whose lines in -o <file> all failed", estimate: { ignored: "noted" } },
  force: { flags: "--force", help: "resume even if -o <file> came from another pipeline or model", estimate: { ignored: "noted" } },
  strict: { flags: "--strict", help: "check the whole input first; refuse to start (exit 2) if any record is bad", estimate: { ignored: "noted" } },
  maxErrors: { flags: "--max-errors <n|p%>", help: "stop (exit 1) once n records, or p% of those finished, failed for good", estimate: { ignored: "noted" } },
  grace: { flags: "--grace <seconds>", help: "after Ctrl-C, how long requests in flight may finish before they are cancelled (default 30)", estimate: { ignored: "noted" } },
  ordered: { flags: "--ordered", help: "write results in input order (bounded reorder buffer) instead of completion order", estimate: { ignored: "noted" } },
  includeInput: {
    flags: "--include-input",
    help: "copy each input record's fields into its result: an \"input\" object in JSONL, extra columns in CSV/TSV results (the format is the -o extension's or --output-format's, never the input's)",
    estimate: { ignored: "noted" },
  },
  simulate: { flags: "--simulate", help: "run against the bundled simulator, started in-process (no network, no key)", estimate: { ignored: "noted" } },
  progress: { flags: "--no-progress", help: "no progress bar (it is shown only when stderr is a terminal)", estimate: { ignored: "silently" } },
  quiet: { flags: "-q, --quiet", help: "no progress bar and no summary table; errors and warnings only", estimate: { help: "no note about ignored run flags" } },
  verbose: { flags: "-v, --verbose", help: "one stderr line per failed record (its id, error type and message)", estimate: { ignored: "silently" } },
  dryRun: { flags: "--dry-run", help: "estimate records, tokens, cost and time and send nothing: a table on stderr, or JSON on stdout with --json", estimate: { ignored: "silently" } },
  json: { flags: "--json", help: "with --dry-run: print the estimate as one JSON object on stdout", estimate: { help: "print one JSON object instead of a table" } },
  assumeOutput: {
    flags: "--assume-output <n>",
    help: `with --dry-run: output tokens per answer for the expected cost, times n for a request's n choices (${TYPICAL_OUTPUT_HELP})`,
    estimate: { help: `output tokens per answer for the expected cost, times n for a request's n choices (${TYPICAL_OUTPUT_HELP})` },
  },
  maxCost: { flags: "--max-cost <usd>", help: "never spend more than this (USD), in-flight requests included; the rest are budget_exceeded", estimate: { ignored: "noted" } },
  prices: { flags: "--prices <file>", help: "YAML or JSON prices (USD per 1M tokens) that override or add to the bundled table" },
  metricsFile: { flags: "--metrics-file <path>", help: "append live metrics, one JSON line per interval (tail -f it)", estimate: { ignored: "noted" } },
  metricsInterval: { flags: "--metrics-interval <seconds>", help: "seconds between --metrics-file lines (default 5)", estimate: { ignored: "noted" } },
  batch: { flags: "--batch", help: "run every LLM call through the provider's Batch API: half price, answers within 24 h (needs -o; --resume collects after a crash)" },
  batchSize: { flags: "--batch-size <n>", help: "with --batch: requests per batch at most (default and maximum 50000)", estimate: { ignored: "noted" } },
  batchMaxMb: { flags: "--batch-max-mb <n>", help: "with --batch: MB per batch input file at most (default and maximum 200)", estimate: { ignored: "noted" } },
  pollInterval: { flags: "--poll-interval <seconds>", help: "with --batch: seconds between polls of a running batch (default 60; fractions allowed)", estimate: { ignored: "noted" } },
  batchFallback: {
    flags: "--batch-fallback <mode>",
    help: "with --batch: requests a batch did not answer (expired, cancelled) are retried in a later batch (none, the default) or synchronously (sync)",
    choices: ["sync", "none"],
    estimate: { ignored: "noted" },
  },
  batchMaxEnqueuedTokens: {
    flags: "--batch-max-enqueued-tokens <n>",
    help: "with --batch: prompt tokens per model waiting in batches at once at most (default: until the provider refuses)",
    estimate: { ignored: "noted" },
  },
  report: { flags: "--report <file.html>", help: "write a self-contained HTML report with charts at the end", estimate: { ignored: "noted" } },
  cache: {
    flags: "--cache",
    help: "answer requests sent before from the response cache: no request, no cost (also the pipeline's cache: true)",
    negation: "do not use the response cache, even if the pipeline says cache: true",
    estimate: { ignored: "noted" },
  },
  cacheDir: { flags: "--cache-dir <dir>", help: "the cache's directory (env: LLMBATCH_CACHE_DIR; default $XDG_CACHE_HOME/llmbatch, else ~/.cache/llmbatch)", estimate: { ignored: "noted" } },
  cacheMaxSize: { flags: "--cache-max-size <size>", help: "largest size of the cache, e.g. 500MB, 2GB: least recently used answers go first (default 2GB)", estimate: { ignored: "noted" } },
  cacheTtl: { flags: "--cache-ttl <duration>", help: "ignore cached answers older than this, e.g. 30d, 12h (default: no limit)", estimate: { ignored: "noted" } },
} as const satisfies Record<string, OptionSpec>;

type ValueOf<S> = S extends { readonly choices: readonly (infer C)[] } ? C : S extends { readonly flags: `${string}<${string}` } ? string : boolean;

/** The typed flags a command's action receives for a table: raw strings (validated later), switches, choices. */
export type FlagsOf<T extends Record<string, OptionSpec>> = { -readonly [K in keyof T]?: ValueOf<T[K]> };

/** Flags of `llmbatch run` (and `estimate`) as commander hands them over. */
export type RunFlags = FlagsOf<typeof RUN_OPTIONS>;

export type TableCommand = "run" | "estimate";

/** Adds the table's options to `command`, with the help text of `run` or of `estimate`. */
export function addOptions(command: Command, table: Readonly<Record<string, OptionSpec>>, as: TableCommand): Command {
  for (const spec of Object.values(table)) {
    const option = new Option(spec.flags, (as === "estimate" ? spec.estimate?.help : undefined) ?? spec.help);
    if (spec.choices) option.choices(spec.choices);
    if (as === "estimate" && spec.estimate?.ignored) option.hideHelp();
    command.addOption(option);
    if (spec.negation !== undefined) {
      const negated = new Option(spec.flags.replace(/^--/, "--no-"), spec.negation);
      if (as === "estimate" && spec.estimate?.ignored) negated.hideHelp();
      command.addOption(negated);
    }
  }
  return command;
}

/** What `estimate --help` says about the hidden flags. */
export const ESTIMATE_HELP_AFTER =
  "\nEvery other flag of `run` is accepted too, so `run` can be swapped for `estimate` in a command line;\n" +
  "those that do not change an estimate (-o, --base-url, --concurrency, --resume, …) are ignored, with one note on stderr.\n";

/**
 * The flags given on the command line that `estimate` ignores and names in its note, as the user
 * would write them (`--base-url`, `-o`).
 */
export function ignoredFlagsGiven(command: Command, table: Readonly<Record<string, OptionSpec>>): string[] {
  const given: string[] = [];
  for (const [key, spec] of Object.entries(table)) {
    if (spec.estimate?.ignored !== "noted" || command.getOptionValueSource(key) !== "cli") continue;
    given.push(longFlag(spec.flags));
  }
  return given;
}

/** `--output` of "-o, --output <file>". */
export function longFlag(flags: string): string {
  return /--[\w-]+/.exec(flags)?.[0] ?? flags;
}
