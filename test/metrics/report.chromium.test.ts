import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, runCli, tempDir, writeTemp } from "../helpers/cli.js";

const CHROMIUM = "/usr/bin/chromium";
let sim: SimulatorHandle;
let env: Record<string, string>;

beforeAll(async () => {
  sim = await startSimulator({ latencyMs: [1, 5], seed: 4 });
  env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
});
afterAll(() => sim.close());

/** Renders the page in headless Chromium (Debian's package; .ci/run installs it) and returns the DOM it built. */
async function renderedDom(file: string): Promise<string> {
  const profile = tempDir();
  const { stdout } = await promisify(execFile)(
    CHROMIUM,
    ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", `--user-data-dir=${profile}`, "--dump-dom", `file://${file}`],
    { timeout: 60_000, maxBuffer: 16 * 1024 * 1024 },
  );
  return stdout;
}

describe("--report", () => {
  it("writes a self-contained HTML page whose charts render in a browser", async () => {
    expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it when run as root: scripts/ensure-chromium.sh)`).toBe(true);
    const dir = tempDir();
    const records = Array.from({ length: 30 }, (_, i) => ({ id: `r${i}`, prompt: `item ${i} [[sim:latency:200]]${i % 10 === 3 ? " [[sim:bad_request]]" : ""}` }));
    const input = writeTemp(dir, "in.jsonl", jsonl(records));
    const report = join(dir, "report.html");
    const r = await runCli(["run", input, "-c", "6", "--max-tokens", "8", "--max-cost", "1", "--report", report, "-q"], { env });
    expect(r.code).toBe(1);
    const html = readFileSync(report, "utf8");
    // Self-contained: nothing is fetched to view it.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\(http/i);

    const dom = await renderedDom(report);
    for (const id of ["chart-throughput", "chart-tokens", "chart-waits", "chart-errors", "chart-cost", "chart-cost-by-model"]) {
      expect(dom, id).toMatch(new RegExp(`<svg[^>]*id="${id}"`));
    }
    const chart = (id: string) => dom.slice(dom.indexOf(`id="${id}"`), dom.indexOf("</svg>", dom.indexOf(`id="${id}"`)));
    // Lines with real points (at least two segments), and bars for the waits, errors and cost.
    expect(chart("chart-throughput")).toMatch(/<path class="series" data-series="requests\/min" d="M[\d.]+,[\d.]+ L[\d.]+,[\d.]+/);
    expect(chart("chart-tokens")).toMatch(/<path class="series" data-series="tokens\/min" d="M[\d.]+,[\d.]+ L/);
    expect(chart("chart-cost")).toMatch(/data-series="cost so far \(USD\)"/);
    expect(chart("chart-errors")).toMatch(/<rect class="bar" data-label="bad_request" [^>]*width="[1-9]/);
    expect(chart("chart-waits")).toMatch(/data-label="budget gate"/);
    expect(chart("chart-cost-by-model")).toMatch(/data-label="gpt-4o-mini"/);
    expect(dom).toContain("budget $1");
  }, 90_000);
});
