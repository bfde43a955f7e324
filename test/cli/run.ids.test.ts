import { createHash } from "node:crypto";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonLines, jsonl, ROOT, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

const simulator = useSimulator();
const fixture = (name: string) => join(ROOT, "test/fixtures", name);
const TEMPLATE = ["--template", "Classify the sentiment of this tweet: {{text}}"];
/** The documented content id of a record without an id. */
const contentId = (canonical: string) => `c:${createHash("sha256").update(canonical).digest("hex").slice(0, 16)}`;

describe("ids come out as the exact text of the input", () => {
  it("keeps every digit of bigint tweet ids (two differing in the last digit are two records) and 3.0 as written", async () => {
    simulator.sim().resetStats();
    const r = await runCli(["run", fixture("tweets-bigint.jsonl"), "-q", "--ordered", "--include-input", ...TEMPLATE], { env: simulator.env() });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => [l.id, l.ok])).toEqual([
      ["570306133677760513", true],
      ["570306133677760514", true],
      ["570301083672813571", true],
      ["7", true],
      ["3.0", true],
    ]);
    // With --include-input the input's id is its text too, not a number with other digits.
    expect(lines[0]!.input).toMatchObject({ id: "570306133677760513", airline: "Virgin America" });
    expect(lines[3]!.input.id).toBe(7);
    expect(simulator.sim().stats().requests).toBe(5);
  });

  it("takes a CSV id cell as its text", async () => {
    const r = await runCli(["run", fixture("tweets-bigint.csv"), "-q", "--ordered", ...TEMPLATE], { env: simulator.env() });
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => l.id)).toEqual(["570306133677760513", "570306133677760514", "3.0"]);
  });
});

describe("output ids are unique per input record", () => {
  it('a record without an id never collides with a user\'s id: line 2 is not a duplicate of id "2"', async () => {
    simulator.sim().resetStats();
    const input = jsonl([{ id: "2", prompt: "Translate to French: good morning" }, { prompt: "Translate to French: good night" }]);
    const r = await runCli(["run", "-", "-q", "--ordered"], { env: simulator.env(), stdin: input });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(jsonLines(r.stdout).map((l) => [l.id, l.ok])).toEqual([
      ["2", true],
      [contentId('{"prompt":"Translate to French: good night"}'), true],
    ]);
    expect(simulator.sim().stats().requests).toBe(2);
  });

  it("a duplicate id, and an invalid line whose id is taken, come out under distinct ids naming the first line", async () => {
    const dir = tempDir();
    const file = writeTemp(
      dir,
      "tickets.jsonl",
      jsonl([
        { id: "T-1", prompt: "Summarize: printer jams" },
        { id: "T-2", prompt: "Summarize: login fails" },
        { id: "T-1", prompt: "Summarize: printer jams again" },
        { id: "T-2", prompt: 42 },
      ]),
    );
    const r = await runCli(["run", file, "-q", "--ordered"], { env: simulator.env() });
    expect(r.code).toBe(1);
    const lines = jsonLines(r.stdout);
    expect(lines.map((l) => [l.id, l.ok])).toEqual([
      ["T-1", true],
      ["T-2", true],
      ["T-1#line-3", false],
      ["T-2#line-4", false],
    ]);
    expect(lines[2]!.error).toMatchObject({ type: "invalid_input", line: 3, message: `${file}:3: duplicate id "T-1" on line 3 (first seen on line 1)` });
    expect(lines[3]!.error.message).toBe(`${file}:4: prompt must be a string, got 42; its id "T-2" is already line 2's, so this line comes out as "T-2#line-4"`);
    // The way docs/output.md gives to the one result of each record: the last line per id is each record's own.
    const lastPerId = new Map(lines.map((l) => [l.id, l]));
    expect(lastPerId.get("T-1")!.ok).toBe(true);
    expect(lastPerId.get("T-2")!.ok).toBe(true);
  });

  it("identical rows without ids are two records, both sent, under numbered content ids", async () => {
    simulator.sim().resetStats();
    const r = await runCli(["run", fixture("reviews-no-id.csv"), "-q", "--ordered", "--template", "Summarize this review: {{review_text}}"], { env: simulator.env() });
    expect(r.code).toBe(0);
    const ids = jsonLines(r.stdout).map((l) => l.id as string);
    expect(ids).toHaveLength(6);
    expect(new Set(ids).size).toBe(6);
    expect(ids.every((id) => /^c:[0-9a-f]{16}(#2)?$/.test(id))).toBe(true);
    expect(ids[5]).toBe(`${ids[4]}#2`);
    // The header → cell object, keys sorted.
    expect(ids[0]).toBe(contentId('{"age":"33","clothing_id":"767","rating":"4","recommended_ind":"1","review_text":"Absolutely wonderful - silky and sexy and comfortable","title":""}'));
    expect(simulator.sim().stats().requests).toBe(6);
  });
});
