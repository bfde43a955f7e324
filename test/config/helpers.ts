import { expect } from "vitest";
import { ConfigError } from "../../src/config/config-error.js";
import { parsePipeline } from "../../src/config/pipeline.js";

/** Parses YAML that must be invalid; returns its problems as `line:column: message`. */
export function problemsOf(yaml: string, file = "p.yaml"): string[] {
  try {
    parsePipeline(yaml, file);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).problems.map((p) => `${p.line}:${p.column}: ${p.message}`);
  }
  return expect.unreachable("expected a ConfigError");
}

/** Joins lines, so YAML in tests reads top to bottom with exact line numbers. */
export function yaml(...lines: string[]): string {
  return `${lines.join("\n")}\n`;
}
