/**
 * Generated path collisions: the input and each output flag (-o and its sidecar, --summary,
 * --report, --metrics-file, and the temp files of the ones written through a rename) name files
 * from a small pool, each spelled one of several ways (plain, `./`, `a/../`, through a symlinked
 * folder, relative to elsewhere, through a symlink, through a hard link). The oracle knows by
 * construction which spellings are one file; the check must refuse exactly those runs, name every
 * clashing pair, and change nothing. Most cases drive `checkRunPaths` directly; a few spawn the
 * real binary against the simulator and check that nothing was sent and no file changed.
 *
 * Seeded and bounded for `npm test`; `LLMBATCH_FUZZ_RUNS=2000` runs longer.
 */
import { linkSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, relative } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../src/errors.js";
import { checkRunPaths, type RunPaths } from "../../src/io/output-paths.js";
import { runCli, useSimulator } from "../helpers/cli.js";
import { snapshot } from "../helpers/files.js";

const RUNS = Number(process.env.LLMBATCH_FUZZ_RUNS ?? 150);
const SPAWNED_RUNS = Math.max(6, Math.round(RUNS / 100));
const SEED = 16_2024;
const PID = 4242;

const FLAGS = ["-o", "--summary", "--report", "--metrics-file"] as const;
type Flag = (typeof FLAGS)[number];
const SPELLINGS = ["plain", "dot", "updown", "dirlink", "relative", "filelink", "hardlink"] as const;
type Spelling = (typeof SPELLINGS)[number];

interface Spelled {
  name: string;
  spelling: Spelling;
}

interface Case {
  /** Pool names that exist before the run (besides the input, which always does). */
  existing: string[];
  input: Spelled;
  outputs: Partial<Record<Flag, Spelled>>;
}

const INPUT = "in.jsonl";
/** Names that collide often: each flag's usual file, the sidecar of -o and the temp files. */
const pool = (withTemps: boolean) => [
  INPUT,
  "out.jsonl",
  "out.jsonl.meta.json",
  "s.json",
  "r.html",
  "m.jsonl",
  ...(withTemps ? [`s.json.tmp-${PID}`, `out.jsonl.meta.json.tmp-${PID}`, `r.html.tmp-${PID}`] : []),
];

function caseArb(withTemps: boolean): fc.Arbitrary<Case> {
  const names = pool(withTemps);
  const spelled = fc.record({ name: fc.constantFrom(...names), spelling: fc.constantFrom(...SPELLINGS) });
  return fc.record({
    existing: fc.subarray(names.slice(1)),
    input: fc.record({ name: fc.constant(INPUT), spelling: fc.constantFrom(...SPELLINGS) }),
    outputs: fc.record({ "-o": spelled, "--summary": spelled, "--report": spelled, "--metrics-file": spelled }, { requiredKeys: [] }),
  });
}

/** A workspace for one case: the pool's existing files, a folder `a`, a symlink `dl` to the root. */
class Workspace {
  readonly root = realpathSync(mkdtempSync(join(tmpdir(), "llmbatch-fuzz-")));
  /** Link names made for spellings → the pool name they lead to. */
  readonly links = new Map<string, string>();
  readonly #exists = new Set<string>();

  constructor(c: Case) {
    mkdirSync(join(this.root, "a"));
    symlinkSync(".", join(this.root, "dl"));
    for (const name of [INPUT, ...c.existing]) {
      writeFileSync(join(this.root, name), `${name}: the user's own bytes\n`);
      this.#exists.add(name);
    }
  }

  /** The path a spelling gives (relative ones to `cwd`); creates the link it goes through. */
  path(s: Spelled, cwd: string): string {
    const abs = (name: string) => join(this.root, name);
    switch (s.spelling) {
      case "plain":
        return abs(s.name);
      case "dot":
        return `${this.root}/./${s.name}`;
      case "updown":
        return `${this.root}/a/../${s.name}`;
      case "dirlink":
        return `${this.root}/dl/${s.name}`;
      case "relative":
        return relative(cwd, abs(s.name)) || ".";
      case "filelink":
      case "hardlink": {
        // A hard link needs an existing file; a symlink may dangle (the file is created through it).
        const hard = s.spelling === "hardlink" && this.#exists.has(s.name);
        const link = `${hard ? "hl" : "ln"}-${s.name}`;
        if (!this.links.has(link)) {
          if (hard) linkSync(abs(s.name), abs(link));
          else symlinkSync(s.name, abs(link));
          this.links.set(link, s.name);
        }
        return abs(link);
      }
    }
  }

  remove(): void {
    rmSync(this.root, { recursive: true, force: true });
  }
}

interface Planned {
  what: string;
  path: string;
  /** The pool name the file is, by construction. */
  file: string;
}

/**
 * What the run writes, in the order the check reports it, each with the file it is by construction.
 * `pid` names the temp files; for the real binary (whose pid is not known in advance, and whose pool
 * has no temp names) two temp files still clash when they come from the same spelled path.
 */
function plan(c: Case, ws: Workspace, cwd: string, pid: number | string = PID): { paths: RunPaths; files: Planned[] } {
  const input = ws.path(c.input, cwd);
  const files: (Omit<Planned, "file"> & { file?: string })[] = [{ what: "the input", path: input, file: INPUT }];
  const paths: RunPaths = { input };
  for (const flag of FLAGS) {
    const s = c.outputs[flag];
    if (s === undefined) continue;
    const path = ws.path(s, cwd);
    files.push({ what: flag, path, file: s.name });
    if (flag === "-o") {
      paths.output = path;
      files.push({ what: "the sidecar of -o", path: `${path}.meta.json` });
      files.push({ what: "the temp file of the sidecar of -o", path: `${path}.meta.json.tmp-${pid}` });
    } else if (flag === "--metrics-file") paths.metricsFile = path;
    else {
      if (flag === "--summary") paths.summary = path;
      else paths.report = path;
      files.push({ what: `the temp file of ${flag}`, path: `${path}.tmp-${pid}` });
    }
  }
  // A derived file (sidecar, temp file) is its name in the root, unless that name is one of the
  // links made above for another flag's spelling: known only once every path is spelled.
  return { paths, files: files.map((f) => ({ ...f, file: f.file ?? ws.links.get(basename(f.path)) ?? basename(f.path) })) };
}

/** Every pair of planned files that are one file, as "a | b". */
function expectedClashes(files: Planned[]): string[] {
  const pairs: string[] = [];
  for (let i = 0; i < files.length; i++) for (let j = i + 1; j < files.length; j++) if (files[i]!.file === files[j]!.file) pairs.push(`${files[i]!.what} | ${files[j]!.what}`);
  return pairs;
}

/** The clashing pairs a message reports, as "a | b". */
function reportedClashes(message: string): string[] {
  const whats = "the input|the temp file of the sidecar of -o|the sidecar of -o|the temp file of --summary|the temp file of --report|-o|--summary|--report|--metrics-file";
  const line = new RegExp(`^(?:error: )?(${whats})(?: "[^"]*")? and (${whats})(?: "[^"]*")? (?:name|are) the same file`);
  return message.split("\n").flatMap((l) => {
    const m = line.exec(l);
    return m ? [`${m[1]} | ${m[2]}`] : [];
  });
}

describe("generated path collisions", () => {
  it("checkRunPaths refuses exactly the runs where two paths are one file, names each pair, and changes nothing", async () => {
    await fc.assert(
      fc.asyncProperty(caseArb(true), async (c) => {
        const ws = new Workspace(c);
        try {
          const { paths, files } = plan(c, ws, process.cwd());
          const expected = expectedClashes(files);
          const before = snapshot(ws.root);
          const error = await checkRunPaths(paths, PID).then(
            () => undefined,
            (err: unknown) => err,
          );
          expect(snapshot(ws.root)).toEqual(before);
          if (expected.length === 0) {
            expect(error).toBeUndefined();
            return;
          }
          expect(error).toBeInstanceOf(UsageError);
          expect(reportedClashes((error as Error).message).sort()).toEqual(expected.sort());
          expect((error as Error).message).toMatch(/nothing was sent$/);
        } finally {
          ws.remove();
        }
      }),
      { seed: SEED, numRuns: RUNS },
    );
  });

  describe("through the real binary", () => {
    const simulator = useSimulator();

    it("a run with clashing paths exits 2, sends nothing and leaves every file as it was; one without runs", async () => {
      let clashing = 0;
      await fc.assert(
        fc.asyncProperty(caseArb(false), async (c) => {
          const ws = new Workspace(c);
          try {
            writeFileSync(join(ws.root, INPUT), '{"id":"1","prompt":"Summarize: the meeting moved to Tuesday."}\n{"id":"2","prompt":"Summarize: the invoice was paid twice."}\n');
            const { paths, files } = plan(c, ws, ws.root, "<pid>");
            const expected = expectedClashes(files);
            const before = snapshot(ws.root);
            const args = ["run", paths.input!, "-q"];
            for (const [flag, value] of [
              ["-o", paths.output],
              ["--summary", paths.summary],
              ["--report", paths.report],
              ["--metrics-file", paths.metricsFile],
            ] as const) {
              if (value !== undefined) args.push(flag, value);
            }
            // -o may be any pool name (r.html): its format is said, not taken from a name llmbatch cannot write.
            if (paths.output !== undefined) args.push("--output-format", "jsonl");
            simulator.sim().resetStats();
            const r = await runCli(args, { env: simulator.env(), cwd: ws.root });
            if (expected.length === 0) {
              expect(r.stderr).toBe("");
              expect(r.code).toBe(0);
              expect(snapshot(ws.root).get(join(ws.root, INPUT))).toEqual(before.get(join(ws.root, INPUT)));
              return;
            }
            clashing++;
            expect(r.code).toBe(2);
            expect(reportedClashes(r.stderr).sort()).toEqual(expected.sort());
            expect(simulator.sim().stats().requests).toBe(0);
            expect(snapshot(ws.root)).toEqual(before);
          } finally {
            ws.remove();
          }
        }),
        { seed: SEED, numRuns: SPAWNED_RUNS },
      );
      // The seed gives both kinds of run; a change of generator that loses the clashing ones shows here.
      expect(clashing).toBeGreaterThan(0);
    });
  });
});
