/**
 * A real Redis for the tests: Debian's `redis-server` (7.0) started on a free loopback port in a
 * temp dir, with no persistence, and stopped after. `npm test`'s pretest installs the package when
 * it is missing; a test that needs Redis is declared with `describeRedis` and, without the binary,
 * skips saying why (see `REDIS_SKIP_REASON`).
 *
 * `command()` speaks RESP over a plain socket, so the helper itself needs no client library: the
 * tests use it to reach around the store under test (SCRIPT FLUSH, DEBUG SLEEP, CLIENT PAUSE, KEYS).
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe } from "vitest";

export const REDIS_SERVER_BIN = process.env.LLMBATCH_TEST_REDIS_SERVER ?? "/usr/bin/redis-server";
export const hasRedisServer = existsSync(REDIS_SERVER_BIN);
export const REDIS_SKIP_REASON = `skipped: these tests run a real Redis and ${REDIS_SERVER_BIN} is missing (install Debian's redis-server: sudo apt-get install -y redis-server; npm test's pretest does it when it can)`;

/**
 * `describe` for tests over a real Redis: skipped, with the reason in its name and once on stderr,
 * when redis-server is not installed.
 */
export function describeRedis(name: string, body: () => void): void {
  if (!hasRedisServer) {
    process.stderr.write(`${name}: ${REDIS_SKIP_REASON}\n`);
    describe.skip(`${name} (${REDIS_SKIP_REASON})`, body);
    return;
  }
  describe(name, body);
}

export interface RedisServerOptions {
  /** Requires this password (`--requirepass`); `url` then carries it, `urlWithoutPassword` does not. */
  password?: string;
  /** Extra `redis-server` arguments, e.g. `["--maxclients", "10"]`. */
  args?: string[];
}

export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, with `:password@` when the server has one. */
  readonly url: string;
  /** The same without the password (refused by a server that requires one). */
  readonly urlWithoutPassword: string;
  readonly password: string | undefined;
  /** The server process's pid (changes on `restart`). */
  readonly pid: number | undefined;
  /** Sends one command over a fresh connection (authenticated) and returns its decoded reply. */
  command(...args: (string | number)[]): Promise<RespValue>;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
  /** SIGKILL and wait for the exit (a crash: no goodbye to the clients). */
  kill9(): Promise<void>;
  /** Starts again on the same port (after stop or kill9), empty (no persistence). */
  restart(): Promise<void>;
  /** Stops the server and removes its temp dir. */
  close(): Promise<void>;
}

export type RespValue = string | number | null | RespValue[] | RespError;

export class RespError extends Error {}

const HOST = "127.0.0.1";

/** Starts a redis-server on a free loopback port and resolves once it answers PING. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), "llmbatch-redis-"));
  const password = options.password;
  let port = await freePort();
  let child: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  const launch = async (): Promise<void> => {
    const args = [
      "--port",
      String(port),
      "--bind",
      HOST,
      "--dir",
      dir,
      "--save",
      "",
      "--appendonly",
      "no",
      "--daemonize",
      "no",
      "--logfile",
      "",
      "--loglevel",
      "warning",
      // DEBUG SLEEP (a slow Redis) is refused unless enabled; only local connections may use it.
      "--enable-debug-command",
      "local",
      ...(password === undefined ? [] : ["--requirepass", password]),
      ...(options.args ?? []),
    ];
    const proc = spawn(REDIS_SERVER_BIN, args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    proc.stderr?.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child = proc;
    exited = new Promise((resolve) => proc.once("exit", () => resolve()));
    await waitUntilAnswering(port, password, proc, () => stderr);
  };

  const signal = async (sig: NodeJS.Signals): Promise<void> => {
    const proc = child;
    if (proc === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill(sig);
    await exited;
    child = undefined;
  };

  for (let attempt = 0; ; attempt++) {
    try {
      await launch();
      break;
    } catch (err) {
      // Another process may have taken the port between freePort() and the bind: try another.
      await signal("SIGKILL");
      if (attempt >= 3) throw err;
      port = await freePort();
    }
  }

  const auth = password === undefined ? "" : `:${encodeURIComponent(password)}@`;
  const server: RedisServer = {
    host: HOST,
    get port() {
      return port;
    },
    get url() {
      return `redis://${auth}${HOST}:${port}`;
    },
    get urlWithoutPassword() {
      return `redis://${HOST}:${port}`;
    },
    password,
    get pid() {
      return child?.pid;
    },
    command: (...args) => sendCommand(port, password, args),
    stop: () => signal("SIGTERM"),
    kill9: () => signal("SIGKILL"),
    async restart() {
      await signal("SIGKILL");
      await launch();
    },
    async close() {
      await signal("SIGTERM");
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return server;
}

/** Starts a redis-server for the test file (beforeAll) and closes it (afterAll). */
export function useRedisServer(options: RedisServerOptions = {}): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    if (hasRedisServer) server = await startRedisServer(options);
  });
  afterAll(() => server?.close());
  return () => {
    if (!server) throw new Error("redis-server is not started yet (use it inside a test)");
    return server;
  };
}

/** A port the kernel just had free on loopback. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", reject);
    srv.listen(0, HOST, () => {
      const address = srv.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

async function waitUntilAnswering(port: number, password: string | undefined, proc: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`redis-server on port ${port} exited (${proc.exitCode ?? proc.signalCode}) before answering: ${stderr().trim()}`);
    }
    try {
      if ((await sendCommand(port, password, ["PING"])) === "PONG") return;
    } catch {
      // Not listening yet (ECONNREFUSED) or still loading: try again shortly.
    }
    if (Date.now() > deadline) throw new Error(`redis-server on port ${port} did not answer PING within 10 s: ${stderr().trim()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function encode(args: (string | number)[]): string {
  let out = `*${args.length}\r\n`;
  for (const a of args) {
    const s = String(a);
    out += `$${Buffer.byteLength(s)}\r\n${s}\r\n`;
  }
  return out;
}

/** One command (after AUTH when needed) on a fresh connection; resolves with its reply. */
function sendCommand(port: number, password: string | undefined, args: (string | number)[]): Promise<RespValue> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: HOST, port });
    const expected = password === undefined ? 1 : 2;
    let buf = Buffer.alloc(0);
    const replies: RespValue[] = [];
    socket.setTimeout(30_000, () => socket.destroy(new Error(`redis ${args[0]} timed out`)));
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.write((password === undefined ? "" : encode(["AUTH", password])) + encode(args));
    });
    socket.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (;;) {
        const parsed = parse(buf, 0);
        if (parsed === undefined) return;
        replies.push(parsed.value);
        buf = buf.subarray(parsed.end);
        if (replies.length === expected) {
          socket.end();
          const reply = replies[expected - 1] as RespValue;
          const authReply = replies[0];
          if (expected === 2 && authReply instanceof RespError) reject(authReply);
          else resolve(reply);
          return;
        }
      }
    });
  });
}

/** Parses one RESP2 value at `at`; undefined when the buffer holds only part of it. */
function parse(buf: Buffer, at: number): { value: RespValue; end: number } | undefined {
  const eol = buf.indexOf("\r\n", at);
  if (eol < 0) return undefined;
  const type = String.fromCharCode(buf[at] as number);
  const line = buf.toString("utf8", at + 1, eol);
  const next = eol + 2;
  switch (type) {
    case "+":
      return { value: line, end: next };
    case "-":
      return { value: new RespError(line), end: next };
    case ":":
      return { value: Number(line), end: next };
    case "$": {
      const len = Number(line);
      if (len < 0) return { value: null, end: next };
      if (buf.length < next + len + 2) return undefined;
      return { value: buf.toString("utf8", next, next + len), end: next + len + 2 };
    }
    case "*": {
      const n = Number(line);
      if (n < 0) return { value: null, end: next };
      const items: RespValue[] = [];
      let pos = next;
      for (let i = 0; i < n; i++) {
        const item = parse(buf, pos);
        if (item === undefined) return undefined;
        items.push(item.value);
        pos = item.end;
      }
      return { value: items, end: pos };
    }
    default:
      throw new Error(`unexpected RESP type ${JSON.stringify(type)}`);
  }
}
