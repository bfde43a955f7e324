import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { loadPipeline } from "../../src/config/pipeline.js";
import { UsageError } from "../../src/errors.js";

describe("loadPipeline", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "llmbatch-config-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reads and parses a pipeline file, remembering its path", async () => {
    const file = join(dir, "ok.yaml");
    await writeFile(file, "name: t\nsteps:\n  - id: s\n    method: generate\n    prompt: 'Summarize: {{text}}'\n");
    const p = await loadPipeline(file);
    expect(p.name).toBe("t");
    expect(p.file).toBe(file);
    expect(p.steps[0]).toEqual({ id: "s", method: "generate", prompt: "Summarize: {{text}}", params: {} });
  });

  it("reports problems with the file's path", async () => {
    const file = join(dir, "bad.yaml");
    await writeFile(file, "name: t\nlimits: {rpm: ten}\nsteps:\n  - {id: s, method: generate, prompt: p}\n");
    const error = await loadPipeline(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(`${file}:2:15: limits.rpm must be a positive integer, got "ten"`);
  });

  it("throws a UsageError (not a ConfigError) when the file cannot be read", async () => {
    const file = join(dir, "missing.yaml");
    const error = await loadPipeline(file).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect(error).not.toBeInstanceOf(ConfigError);
    expect((error as UsageError).message).toBe(`cannot read pipeline file ${file}: no such file`);
  });

  it("throws a UsageError when the path is a directory", async () => {
    const error = await loadPipeline(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UsageError);
    expect((error as UsageError).message).toMatch(/^cannot read pipeline file .*: .*EISDIR/);
  });
});
