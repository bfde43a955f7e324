/**
 * `rediss://`: the store speaks TLS to a redis-server with a certificate from a private CA. Node
 * trusts that CA through NODE_EXTRA_CA_CERTS (read at start-up, hence a child process running the
 * built store); without it, opening fails as unreachable at start, naming the URL (password
 * masked) and the certificate error.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { expect, it } from "vitest";
import { ROOT, tempDir } from "../helpers/cli.js";
import { describeRedis, freePort, type RedisServer, startRedisServer } from "../helpers/redis-server.js";

const PASSWORD = "tls-s3cret";
const hasOpenssl = spawnSync("openssl", ["version"]).status === 0;
const NO_OPENSSL = "skipped: openssl (to make the test certificates) is not installed";

function openssl(dir: string, ...args: string[]): void {
  execFileSync("openssl", args, { cwd: dir, stdio: "ignore" });
}

/** A CA and a server certificate for 127.0.0.1 signed by it. */
function certificates(dir: string): { ca: string; cert: string; key: string } {
  openssl(dir, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=llmbatch test CA");
  openssl(dir, "req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1");
  execFileSync("sh", ["-c", "printf 'subjectAltName=IP:127.0.0.1\\n' > san.ext"], { cwd: dir });
  openssl(dir, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "san.ext");
  return { ca: join(dir, "ca.pem"), cert: join(dir, "server.pem"), key: join(dir, "server.key") };
}

/** Opens the built store at `url` in a fresh node, takes once, prints "taken" or the error's message. */
function tryOpen(url: string, env: Record<string, string>): string {
  const script = `
    const { openRedisQuotaStore } = await import(${JSON.stringify(`${ROOT}dist/gates/redis-quota-store.js`)});
    try {
      const s = await openRedisQuotaStore({ url: ${JSON.stringify(url)}, commandTimeoutMs: 2000 });
      s.define("q", { rpm: 600 });
      const r = await s.take("q", 1);
      process.stdout.write(r.taken ? "taken" : "refused");
      await s.close();
    } catch (e) { process.stdout.write(e.message); }`;
  const { NODE_EXTRA_CA_CERTS: _drop, ...base } = process.env;
  return execFileSync(process.execPath, ["--input-type=module", "-e", script], { encoding: "utf8", env: { ...base, ...env } });
}

describeRedis("Redis quota store over TLS (rediss://)", () => {
  it.skipIf(!hasOpenssl)(
    `connects with the CA trusted; without it, refuses at start naming the masked URL and the certificate error${hasOpenssl ? "" : ` (${NO_OPENSSL})`}`,
    { timeout: 30_000 },
    async () => {
      const dir = tempDir();
      const { ca, cert, key } = certificates(dir);
      const tlsPort = await freePort();
      let server: RedisServer | undefined;
      try {
        server = await startRedisServer({
          password: PASSWORD,
          args: ["--tls-port", String(tlsPort), "--tls-cert-file", cert, "--tls-key-file", key, "--tls-ca-cert-file", ca, "--tls-auth-clients", "no"],
        });
        const url = `rediss://:${PASSWORD}@127.0.0.1:${tlsPort}`;
        expect(tryOpen(url, { NODE_EXTRA_CA_CERTS: ca })).toBe("taken");
        const refused = tryOpen(url, {});
        expect(refused).toContain(`cannot use Redis at rediss://:***@127.0.0.1:${tlsPort}`);
        expect(refused).toMatch(/certificate/i);
        expect(refused).not.toContain(PASSWORD);
      } finally {
        await server?.close();
      }
    },
  );
});
