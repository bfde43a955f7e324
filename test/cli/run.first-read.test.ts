/**
 * Input errors that stop a run on its first read ("nothing was sent", exit 2) come before the run
 * touches its output: an existing results file keeps its lines and its sidecar keeps `spent_usd`,
 * with or without --resume. So does a run refused for a missing API key.
 */
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { snapshot } from "../helpers/files.js";
import { ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();
const TICKETS = join(ROOT, "test/fixtures/support-tickets.jsonl");

/** Results of a finished run on the tickets, with its sidecar: what a user would not want to lose. */
let finished: string;

beforeAll(async () => {
  finished = tempDir();
  const r = await runCli(["run", TICKETS, "-o", join(finished, "results.jsonl"), "--max-tokens", "16", "-q"], { env: simulator.env() });
  expect(r.code, r.stderr).toBe(0);
  const meta = JSON.parse(readFileSync(join(finished, "results.jsonl.meta.json"), "utf8"));
  expect(meta.spent_usd).toBeGreaterThan(0);
});

/** A folder holding a copy of the finished results and their sidecar, and nothing else. */
function outputs(): { dir: string; out: string } {
  const dir = tempDir();
  for (const name of ["results.jsonl", "results.jsonl.meta.json"]) copyFileSync(join(finished, name), join(dir, name));
  return { dir, out: join(dir, "results.jsonl") };
}

const inputs = tempDir();
const csvExport = writeTemp(inputs, "export.csv", "ticket_id,body\nT-1,Refund please\n");
const utf16 = join(inputs, "utf16.jsonl");
writeFileSync(utf16, Buffer.from('{"id":"a","prompt":"hello there"}\n', "utf16le"));
const empty = writeTemp(inputs, "empty.jsonl", "");
const cases: { what: string; args: (out: string) => string[]; stdin?: string; env?: Record<string, string | undefined>; message: string }[] = [
  {
    what: "a CSV header without the column the template reads",
    args: (out) => ["run", csvExport, "--template", "Classify: {{message}}", "-o", out],
    message: "{{message}}",
  },
  {
    what: "a CSV piped in as JSON Lines",
    args: (out) => ["run", "-", "-o", out],
    stdin: "ticket_id,body\nT-1,Refund please\nT-2,App crashes\n",
    message: "looks like a CSV header",
  },
  {
    what: "UTF-16 without a byte order mark",
    args: (out) => ["run", utf16, "-o", out],
    message: "UTF-16LE text without a byte order mark",
  },
  { what: "an empty input", args: (out) => ["run", empty, "-o", out], message: "no records found (the input is empty)" },
  { what: "no API key", args: (out) => ["run", TICKETS, "-o", out], env: { OPENAI_BASE_URL: undefined, OPENAI_API_KEY: undefined }, message: "OPENAI_API_KEY is not set" },
];

describe("a run refused at its input's first read leaves an existing results file as it was", () => {
  for (const resume of [false, true]) {
    for (const c of cases) {
      it(`${c.what}${resume ? " (--resume)" : ""}`, async () => {
        const { dir, out } = outputs();
        // With --resume, a partial last line (left by a crash) would be cut off if the run went ahead.
        if (resume) writeFileSync(out, `${readFileSync(out, "utf8")}{"id":"T-10`);
        const before = snapshot(dir);
        simulator.sim().resetStats();
        const env = { ...simulator.env(), ...c.env };
        // --force: the template of the CSV case is not the finished run's (the other cases have its flags).
        const r = await runCli([...c.args(out), "--max-tokens", "16", ...(resume ? ["--resume", "--force"] : []), "-q"], { env, stdin: c.stdin });
        expect(r.stderr).toContain(c.message);
        expect(r.code).toBe(2);
        expect(simulator.sim().stats().requests).toBe(0);
        expect(snapshot(dir)).toEqual(before);
      });
    }
  }
});
