import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { redactSecrets } from "../../src/errors.js";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, runCli, tempDir, writeTemp } from "../helpers/cli.js";

let sim: SimulatorHandle;
beforeAll(async () => {
  sim = await startSimulator({ apiKey: "sk-the-right-key-0000" });
});
afterAll(() => sim.close());

describe("API keys never leave the process", () => {
  it("not in output records, the summary, the sidecar, or --verbose stderr, even when the provider quotes the key", async () => {
    const dir = tempDir();
    const input = writeTemp(dir, "in.jsonl", jsonl(Array.from({ length: 6 }, (_, i) => ({ id: i, prompt: `p${i}` }))));
    const key = "sk-proj-SECRETsecret1234567890abcd";
    const r = await runCli(["run", input, "-o", join(dir, "out.jsonl"), "--summary", join(dir, "summary.json"), "-v", "-c", "2"], {
      env: { OPENAI_API_KEY: key, OPENAI_BASE_URL: sim.openaiBaseUrl },
    });
    expect(r.code).toBe(3);
    // The provider's 401 quotes the key masked ("sk-proj-****abcd"); nothing of it may remain.
    expect(r.stderr).toContain("Incorrect API key provided: sk-***");
    const texts = [r.stdout, r.stderr, ...readdirSync(dir).map((f) => readFileSync(join(dir, f), "utf8"))];
    for (const text of texts) {
      expect(text).not.toContain("SECRET");
      expect(text).not.toContain("abcd");
      expect(text).not.toMatch(/sk-proj/);
    }
  });

  it("redacts sk- keys, Authorization headers and bearer tokens in any text", () => {
    expect(redactSecrets("bad key sk-abc123DEF456, retry")).toBe("bad key sk-***, retry");
    expect(redactSecrets('headers: {"Authorization": "Bearer tok.en-123"}')).not.toContain("tok.en-123");
    expect(redactSecrets("authorization: Bearer abcdef.ghi")).toBe("authorization: Bearer ***");
    expect(redactSecrets("sent with bearer xyz789== to the proxy")).toBe("sent with bearer *** to the proxy");
  });
});
