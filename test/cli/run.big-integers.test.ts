import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, readJsonlFile, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator({ recordRequests: true });
const fixture = (name: string) => join(ROOT, "test/fixtures", name);
/** The simulator answers with the prompt itself: the output is what was sent. */
const ECHO = ["--template", "[[sim:echo]] tweet {{tweet_id}} by user {{user.user_id}}"];
const contentId = (canonical: string) => `c:${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;

describe("integers too large for a double keep their digits in every field", () => {
  it("renders them in templates, writes them with --include-input, and tells records apart by them", async () => {
    simulator.sim().resetStats();
    const r = await runCli(["run", fixture("tweets-bigint-fields.jsonl"), "-q", "--ordered", "--include-input", ...ECHO], { env: simulator.env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => l.output)).toEqual([
      "tweet 570306133677760513 by user 1171612806184075264",
      "tweet 570306133677760514 by user 1171612806184075265",
      "tweet 570301083672813571 by user 44217",
    ]);
    // As strings of their digits (the documented rule); small numbers stay numbers.
    expect(lines[1]!.input).toMatchObject({ tweet_id: "570306133677760514", user: { user_id: "1171612806184075265" }, retweet_count: 0 });
    expect(lines[2]!.input.user.user_id).toBe(44217);
    // Two records differing only in the last digits are two contents, not one record and its copy.
    const ids = lines.map((l) => l.id as string);
    expect(ids.every((id) => /^c:[0-9a-f]{16}$/.test(id))).toBe(true);
    expect(new Set(ids).size).toBe(3);
    const first = readFileSync(fixture("tweets-bigint-fields.jsonl"), "utf8").split("\n")[0]!;
    const canonical = JSON.stringify(sortKeys(JSON.parse(first.replace(/(\d{16,})/g, '"$1"'))));
    expect(ids[0]).toBe(contentId(canonical));
    expect(simulator.sim().stats().requests).toBe(3);
  });

  it("a resume after the rows were reordered runs the record that is missing, not its neighbour", async () => {
    const dir = tempDir();
    const [a, b] = readFileSync(fixture("tweets-bigint-fields.jsonl"), "utf8").split("\n");
    const out = join(dir, "out.jsonl");
    const firstRun = await runCli(["run", writeTemp(dir, "one.jsonl", `${a}\n`), "-o", out, "-q", ...ECHO], { env: simulator.env() });
    expect(firstRun.code).toBe(0);
    simulator.sim().resetStats();
    // The export now has the other tweet first.
    const resumed = await runCli(["run", writeTemp(dir, "two.jsonl", `${b}\n${a}\n`), "-o", out, "--resume", "-q", ...ECHO], { env: simulator.env() });
    expect(resumed.code).toBe(0);
    expect(simulator.sim().stats().requests).toBe(1);
    const outputs = readJsonlFile(out).map((l) => l.output);
    expect(outputs).toEqual(["tweet 570306133677760513 by user 1171612806184075264", "tweet 570306133677760514 by user 1171612806184075265"]);
  });
});

describe("inside a request body, such an integer is the string of its digits", () => {
  it("is sent as a string where the file had a number, comes back in metadata as one, and a parameter llmbatch reads refuses it", async () => {
    simulator.sim().resetStats();
    const ask = (text: string) => [{ role: "user", content: `[[sim:echo]] ${text}` }];
    const input = [
      { model: "gpt-4o-mini", messages: ask("first"), temperature: 0, user: 570306133677760513, metadata: { row_id: 570306133677760513 } },
      { custom_id: "b-2", method: "POST", url: "/v1/chat/completions", body: { model: "gpt-4o-mini", messages: ask("second"), seed: 12345678901234567890 } },
    ];
    // JSON.stringify would round the numbers: the lines are written with their digits.
    const text = `${JSON.stringify(input[0]).replace(/570306133677760500/g, "570306133677760513")}\n${JSON.stringify(input[1]).replace("12345678901234567000", "12345678901234567890")}\n`;
    const r = await runCli(["run", writeTemp(tempDir(), "requests.jsonl", text), "-q", "--ordered"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const [first, second] = jsonLines(r.stdout);
    expect(first).toMatchObject({ ok: true, output: "first", metadata: { row_id: "570306133677760513" } });
    expect(
      simulator
        .sim()
        .requests()
        .map((q) => (q.body as Record<string, unknown>).user),
    ).toEqual(["570306133677760513"]);
    expect(second!.error).toMatchObject({ type: "invalid_input", line: 2 });
    expect(second!.error.message).toContain('body.seed must be an integer, got "12345678901234567890" (an integer too large for a double is read as its digits, as a string');
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v !== "object" || v === null) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort()
      .map((k) => [k, sortKeys((v as Record<string, unknown>)[k])]),
  );
}
