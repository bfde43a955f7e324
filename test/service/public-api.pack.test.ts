/**
 * The package as a user installs it: `npm pack` (of the built dist/), extracted into a project of
 * its own outside the repository whose node_modules links only llmbatch's declared dependencies.
 * Each entry point (`llmbatch`, `llmbatch/simulator`, `llmbatch/testing`) is imported as ESM and
 * used, the binary runs, and the type declarations resolve under tsc with moduleResolution node16
 * and bundler. A file an entry needs that `files` leaves out fails here. Offline: npm packs the
 * working tree, nothing is fetched.
 */
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT } from "../helpers/cli.js";

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string };

/** The stable surface: adding a name here is a promise to keep it. */
const MAIN = [
  "BaseLLMService",
  "ConfigError",
  "DEFAULT_CACHE_MAX_SIZE",
  "ERROR_POLICY",
  "ERROR_TYPES",
  "MemoryQuotaStore",
  "EXIT",
  "OllamaProvider",
  "OpenAIProvider",
  "ProviderError",
  "Quotas",
  "ResultFailedError",
  "UsageError",
  "collectResults",
  "costOf",
  "createProvider",
  "createResultWriter",
  "defaultCacheDir",
  "defaultPipeline",
  "estimateBatch",
  "findPrice",
  "formatProblem",
  "isOk",
  "loadPipeline",
  "loadPriceOverrides",
  "loadPriceTable",
  "mapResult",
  "openInput",
  "openRedisQuotaStore",
  "maskRedisUrl",
  "parseDuration",
  "parsePipeline",
  "parseSize",
  "providerKindNames",
  "registerProvider",
  "resolveRunOptions",
  "runBatch",
  "runPipeline",
  "unwrap",
  "withPriceOverrides",
];
const SIMULATOR = ["DEFAULT_MODELS", "startSimulator"];
const TESTING = ["FakeClock", "FakeProvider", "fakeResponse"];

let tmp: string;
let project: string;
let packed: string[];

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "llmbatch-pack-"));
  // dist/ is built by `npm test` (and `npm ci`) before this runs; packing must not rebuild it.
  const env = { ...process.env, npm_config_offline: "true", npm_config_audit: "false", npm_config_fund: "false", npm_config_update_notifier: "false" };
  const { stdout } = await run("npm", ["pack", "--ignore-scripts", "--json", "--pack-destination", tmp], { cwd: ROOT, env });
  const [info] = JSON.parse(stdout) as { filename: string; files: { path: string }[] }[];
  packed = info!.files.map((f) => f.path);
  project = join(tmp, "project");
  const installed = join(project, "node_modules", pkg.name);
  mkdirSync(installed, { recursive: true });
  await run("tar", ["-xzf", join(tmp, info!.filename), "-C", installed, "--strip-components=1"]);
  // What a production install would add (the lockfile's non-dev packages, hoisted as npm does),
  // and Node's types for tsc: a dev dependency the package needed would be missing here.
  for (const dep of [...productionPackages(), "@types/node"]) {
    const link = join(project, "node_modules", dep);
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(join(ROOT, "node_modules", dep), link, "dir");
  }
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "uses-llmbatch", private: true, type: "module" }));
}, 120_000);

function productionPackages(): string[] {
  const lock = JSON.parse(readFileSync(join(ROOT, "package-lock.json"), "utf8")) as { packages: Record<string, { dev?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([path, entry]) => path.startsWith("node_modules/") && !path.slice("node_modules/".length).includes("node_modules/") && entry.dev !== true)
    .map(([path]) => path.slice("node_modules/".length));
}

afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe("the packed package", () => {
  it("packs no tests or sources beyond its data files", () => {
    expect(packed.filter((p) => p.startsWith("test/") || (p.startsWith("src/") && !p.endsWith(".json")))).toEqual([]);
    expect(packed).toEqual(
      expect.arrayContaining(["package.json", "bin/llmbatch.js", "dist/index.js", "dist/index.d.ts", "dist/simulator/index.js", "dist/simulator/index.d.ts", "dist/testing.js", "dist/testing.d.ts"]),
    );
  });

  it("imports each entry point as ESM, exporting exactly the stable surface, and each works from the package alone", async () => {
    writeFileSync(
      join(project, "use.mjs"),
      `
import * as main from "llmbatch";
import * as simulator from "llmbatch/simulator";
import * as testing from "llmbatch/testing";
const { BaseLLMService, collectResults, loadPipeline, parsePipeline, runPipeline, loadPriceTable } = main;

const sim = await simulator.startSimulator({ quiet: true });
try {
  // A pipeline file shipped in the package (read through yaml, loaded on first use) and one written here.
  const shipped = await loadPipeline(new URL("./node_modules/llmbatch/pipelines/two-model.yaml", import.meta.url).pathname);
  const pipeline = parsePipeline("name: t\\nsteps:\\n  - {id: g, method: generate, prompt: 'Say {{text}}'}\\n", "t.yaml");
  const results = await collectResults(runPipeline(pipeline, [{ id: "1", text: "hi" }], { connections: { openai: { apiKey: "sk-test", baseUrl: sim.openaiBaseUrl } } }));

  class Echo extends BaseLLMService {
    ask(prompt) { return this.generate(prompt); }
  }
  const fake = new testing.FakeProvider(async (prompt) => testing.fakeResponse("echo " + prompt));
  const service = new Echo({ providers: () => fake });
  const echoed = await service.ask("ping");
  await service.close();

  const clock = new testing.FakeClock();
  let fired = 0;
  clock.setTimer(() => fired++, 50);
  clock.advance(50);

  process.stdout.write(JSON.stringify({
    keys: { main: Object.keys(main).sort(), simulator: Object.keys(simulator).sort(), testing: Object.keys(testing).sort() },
    shippedSteps: shipped.steps.length,
    results,
    echoed: echoed.output,
    fired,
    priced: loadPriceTable().models["gpt-4o-mini"] !== undefined,
  }));
} finally {
  await sim.close();
}
`,
    );
    const { stdout } = await run(process.execPath, ["use.mjs"], { cwd: project });
    const out = JSON.parse(stdout) as Record<string, unknown> & { keys: Record<string, string[]>; results: { outputs: unknown[]; errors: unknown[] } };
    expect(out.keys).toEqual({ main: [...MAIN].sort(), simulator: SIMULATOR, testing: TESTING });
    expect(out.results.errors).toEqual([]);
    expect(out.results.outputs).toEqual([{ id: "1", output: expect.any(String) }]);
    expect(out).toMatchObject({ shippedSteps: expect.any(Number), echoed: "echo ping", fired: 1, priced: true });
  });

  it("runs its binary: --version, and a record through `run` on its worker thread", async () => {
    const bin = join(project, "node_modules/llmbatch/bin/llmbatch.js");
    expect((await run(process.execPath, [bin, "--version"], { cwd: project })).stdout.trim()).toBe(pkg.version);
    const input = join(project, "in.jsonl");
    writeFileSync(input, '{"id":"a","text":"hello"}\n');
    const { stdout } = await run(process.execPath, [bin, "run", input, "--simulate", "--template", "Say {{text}}"], { cwd: project, env: { ...process.env, NO_COLOR: "1" } });
    expect(JSON.parse(stdout)).toMatchObject({ id: "a", ok: true });
  });

  it("resolves its type declarations under tsc, moduleResolution node16 and bundler, and keeps internals out", async () => {
    writeFileSync(
      join(project, "use.ts"),
      `
import { BaseLLMService, runPipeline, runBatch, EXIT, type BatchConfig, type GenerationResult, type RunSummary } from "llmbatch";
import { startSimulator, type SimulatorHandle } from "llmbatch/simulator";
import { FakeClock, FakeProvider, fakeResponse, type Clock } from "llmbatch/testing";
// @ts-expect-error internals are not part of the package's exports
import { GenerationEngine } from "llmbatch/dist/engine/engine.js";

/** True when T is \`any\`, as an entry whose declarations did not resolve would give. */
type IsAny<T> = 0 extends 1 & T ? true : false;
const resolved: [IsAny<typeof BaseLLMService>, IsAny<typeof runBatch>, IsAny<SimulatorHandle>, IsAny<Clock>, IsAny<typeof FakeProvider>, IsAny<RunSummary>] = [false, false, false, false, false, false];

class Triage extends BaseLLMService {
  route(ticket: string): Promise<GenerationResult> {
    return this.generate({ prompt: ticket });
  }
}

export async function use(config: BatchConfig): Promise<string[]> {
  const sim: SimulatorHandle = await startSimulator({ quiet: true });
  const clock: Clock = new FakeClock();
  const service = new Triage({ providers: () => new FakeProvider(async () => fakeResponse("ok")) });
  const failed: string[] = [];
  for await (const r of runPipeline("p.yaml", [{ text: "x" }])) if (!r.ok) failed.push(r.error.type);
  const r = await service.route("t");
  if (!r.ok) failed.push(r.error.message);
  const { exitCode } = await runBatch(config);
  await sim.close();
  return [String(exitCode === EXIT.ok), String(clock.now()), String(resolved.length), String(GenerationEngine), ...failed];
}
`,
    );
    const tsc = join(ROOT, "node_modules/typescript/bin/tsc");
    const common = ["--noEmit", "--strict", "--target", "ES2022", "--lib", "ES2023", "--types", "node", "use.ts"];
    // The node16 run checks the declaration files too: a .d.ts missing from the package is an error
    // only there (skipLibCheck would let what it declares go unresolved in silence). The bundler run
    // checks the entry points resolve under its rules, and skips the libraries to stay quick.
    for (const [module, resolution, ...more] of [
      ["node16", "node16"],
      ["esnext", "bundler", "--skipLibCheck"],
    ]) {
      const outcome = await run(process.execPath, [tsc, ...common, ...more, "--module", module!, "--moduleResolution", resolution!], { cwd: project }).then(
        () => "ok",
        (err: { stdout: string }) => err.stdout,
      );
      expect(outcome, `moduleResolution ${resolution}`).toBe("ok");
    }
  }, 120_000);
});
