import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startSimulator, type SimulatorHandle } from "../../src/simulator/index.js";
import { jsonl, runCli, tempDir, writeTemp } from "../helpers/cli.js";
import { countColor, decodePng, type Image } from "./png.js";

const CHROMIUM = "/usr/bin/chromium";
const WIDTH = 1280;
const HEIGHT = 3200;
const CHARTS = ["chart-throughput", "chart-records", "chart-tokens", "chart-cost", "chart-errors", "chart-cost-by-model"];

let sim: SimulatorHandle;
let html: string;
let summary: Record<string, any>;
let dom: string;
let browserLog: string;
let screenshot: Image;
let screenshotPath: string;

/** Headless Chromium (Debian's package; `npm test` installs it as root) with the flags this machine needs. */
async function chromium(dir: string, page: string, action: string[]): Promise<{ stdout: string; stderr: string }> {
  const profile = tempDir();
  const flags = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];
  return promisify(execFile)(
    CHROMIUM,
    [...flags, `--user-data-dir=${profile}`, `--window-size=${WIDTH},${HEIGHT}`, "--hide-scrollbars", "--enable-logging=stderr", "--v=0", ...action, `file://${page}`],
    {
      cwd: dir,
      timeout: 60_000,
      maxBuffer: 32 * 1024 * 1024,
    },
  );
}

/** The canvas element with this id, as the browser left it after the page's scripts ran. */
function canvasTag(id: string): string {
  return new RegExp(`<canvas[^>]*\\bid="${id}"[^>]*>`).exec(dom)?.[0] ?? "";
}

const attr = (tag: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(tag)?.[1];

beforeAll(async () => {
  expect(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install -y chromium (npm test installs it when run as root: scripts/ensure-chromium.sh)`).toBe(true);
  sim = await startSimulator({ latencyMs: [1, 5], seed: 4 });
  const env = { OPENAI_API_KEY: "sk-test-123456", OPENAI_BASE_URL: sim.openaiBaseUrl };
  const dir = tempDir();
  // 200 ms a request, every tenth a bad request, and a budget that runs out part way: the rest of
  // the records are refused at once (budget_exceeded), which must not show as throughput.
  const records = Array.from({ length: 60 }, (_, i) => ({ id: `r${i}`, prompt: `item ${i} [[sim:latency:200]]${i % 10 === 3 ? " [[sim:bad_request]]" : ""}` }));
  const input = writeTemp(dir, "in.jsonl", jsonl(records));
  const report = join(dir, "report.html");
  const summaryPath = join(dir, "summary.json");
  const r = await runCli(["run", input, "-c", "4", "--max-tokens", "8", "--max-cost", "0.0002", "--report", report, "--summary", summaryPath, "-q"], { env });
  expect(r.code, r.stderr).toBe(1);
  html = readFileSync(report, "utf8");
  summary = JSON.parse(readFileSync(summaryPath, "utf8"));
  const rendered = await chromium(dir, report, ["--dump-dom"]);
  dom = rendered.stdout;
  screenshotPath = join(dir, "report.png");
  const shot = await chromium(dir, report, [`--screenshot=${screenshotPath}`]);
  browserLog = rendered.stderr + shot.stderr;
  screenshot = decodePng(readFileSync(screenshotPath));
}, 120_000);
afterAll(() => sim?.close());

describe("--report, rendered in headless Chromium", () => {
  it("comes from a run where the budget refused some records", () => {
    expect(summary.errors_by_type.budget_exceeded).toBeGreaterThan(5);
    expect(summary.ok).toBeGreaterThan(5);
  });

  it("is one self-contained page with the charting library inlined, of a reasonable size", () => {
    // Nothing is fetched to view it: no script from elsewhere, and outside the inline scripts no
    // style sheet, image, font or address at all.
    expect(/<script[^>]*\bsrc=/i.test(html)).toBe(false);
    const markup = html.replace(/(<script[^>]*>)[\s\S]*?<\/script>/g, "$1</script>");
    expect(markup).not.toMatch(/\bsrc=|\bhref=|@import|url\(|https?:/i);
    expect(html).toMatch(/<script>\/\*!\n \* Chart\.js v4\./);
    expect(html).not.toContain("sourceMappingURL");
    expect(html.length).toBeLessThan(400_000);
  });

  it("draws every chart with the library: canvases of non-zero size, no script error, no console message", () => {
    expect(attr(/<html[^>]*>/.exec(dom)![0], "data-report-error")).toBeUndefined();
    expect(attr(/<html[^>]*>/.exec(dom)![0], "data-charts-drawn")).toBe(String((html.match(/<canvas /g) ?? []).length));
    for (const id of CHARTS) {
      const tag = canvasTag(id);
      expect(tag, id).not.toBe("");
      // Chart.js sizes the canvas's bitmap to its box once it has drawn into it.
      expect(Number(attr(tag, "width")), id).toBeGreaterThan(WIDTH * 0.8);
      expect(Number(attr(tag, "height")), id).toBeGreaterThan(80);
    }
    expect(browserLog).not.toMatch(/CONSOLE/);
  });

  it("labels money with a dollar sign and enough digits, and bars with their values", () => {
    const cost = attr(canvasTag("chart-cost"), "aria-label")!;
    // Ticks 0.00005 apart must read apart: "$0.00015", not "0.0002 US" or "$0.00".
    expect(cost).toMatch(/Values: \$0, \$0\.0000\d+, \$0\.000\d+/);
    expect(cost).toContain("Series: cost so far, budget ($0.0002)");
    const byModel = attr(canvasTag("chart-cost-by-model"), "aria-label")!;
    expect(byModel).toMatch(/Rows: gpt-4o-mini +\$0\.000\d{3}\b/);
    const errors = attr(canvasTag("chart-errors"), "aria-label")!;
    expect(errors).toContain(`budget_exceeded  ${summary.errors_by_type.budget_exceeded}`);
    expect(errors).toContain(`bad_request  ${summary.errors_by_type.bad_request}`);
  });

  it("keeps records that sent no request out of the throughput and plots them apart", () => {
    const data = JSON.parse(/<script type="application\/json" id="report-data">(.*?)<\/script>/s.exec(html)![1]!) as {
      id: string;
      config: { data: { datasets: { label: string; data: { x: number; y: number }[] }[] } };
    }[];
    const series = (chart: string, label: string) => data.find((c) => c.id === chart)!.config.data.datasets.find((d) => d.label.startsWith(label))!.data;
    const completedPerMin = series("chart-throughput", "records completed/min").map((p) => p.y);
    const requestsPerMin = series("chart-throughput", "requests/min").map((p) => p.y);
    // Every completion took a request; the refused records, ending in one instant, would be a
    // spike many times the request rate.
    expect(Math.max(...completedPerMin)).toBeLessThan(2 * Math.max(...requestsPerMin));
    const notSent = series("chart-records", "not sent");
    expect(notSent[notSent.length - 1]!.y).toBe(summary.errors_by_type.budget_exceeded);
  });

  it("shows the charts in the screenshot, each in its own colours, at full width", () => {
    expect(screenshot.width).toBe(WIDTH);
    // Not blank: the series' colours are there, solid in the legends and bars.
    for (const [what, color] of [
      ["requests/min", "#2b6cb0"],
      ["records completed, ok", "#2f855a"],
      ["tokens/min", "#b7791f"],
      ["cost so far", "#c53030"],
      ["bars", "#4a7bd0"],
    ]) {
      expect(countColor(screenshot, color!), `${what} (${color}) in ${screenshotPath}`).toBeGreaterThan(100);
    }
    // The bars span most of the page's width: find the widest run of bar colour on one row.
    let widest = 0;
    for (let y = 0; y < screenshot.height; y++) {
      let run = 0;
      for (let x = 0; x < screenshot.width; x++) {
        const i = (y * screenshot.width + x) * 4;
        const isBar = screenshot.rgba[i] === 0x4a && screenshot.rgba[i + 1] === 0x7b && screenshot.rgba[i + 2] === 0xd0;
        run = isBar ? run + 1 : 0;
        widest = Math.max(widest, run);
      }
    }
    expect(widest).toBeGreaterThan(WIDTH / 2);
  });
});
