/**
 * The one logger for humans. It writes to stderr only (stdout carries data), obeys NO_COLOR,
 * and is injected so nothing below the CLI prints by itself.
 */
export type LogLevel = "quiet" | "normal" | "verbose";

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  verbose(message: string): void;
  /** The raw stream, for the progress bar and the summary table. */
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean };
  readonly level: LogLevel;
  readonly color: boolean;
}

export function createLogger(options: { level: LogLevel; stream?: NodeJS.WritableStream & { isTTY?: boolean }; noColor?: boolean }): Logger {
  const stream = options.stream ?? process.stderr;
  const color = !options.noColor && stream.isTTY === true;
  const paint = (code: number, text: string) => (color ? `\u001b[${code}m${text}\u001b[0m` : text);
  const write = (line: string) => stream.write(`${line}\n`);
  return {
    stream,
    level: options.level,
    color,
    error: (m) => write(`${paint(31, "error:")} ${m}`),
    warn: (m) => write(`${paint(33, "warning:")} ${m}`),
    info: (m) => {
      if (options.level !== "quiet") write(m);
    },
    verbose: (m) => {
      if (options.level === "verbose") write(paint(2, m));
    },
  };
}
