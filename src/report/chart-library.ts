/**
 * The charting library the report inlines: Chart.js's minified UMD build, read from the installed
 * package when a report is written, so the page draws its charts offline with nothing fetched.
 *
 * Why Chart.js: it draws every chart the report has (lines over time and horizontal bars by
 * category) with one API, lays its legends out beside the plot instead of over it, and formats
 * ticks through callbacks. uPlot is smaller (~50 KB against ~210 KB) but has no category or
 * horizontal bar charts, so three of the report's charts would be hand-drawn again.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

/** Read once per process: a report is written once, at the end of a run. */
let source: string | undefined;

/** The library's script text, safe to put between `<script>` and `</script>`. */
export function chartLibrarySource(): string {
  if (source !== undefined) return source;
  // The package exports only its module builds; the UMD bundle sits beside them in dist/.
  const main = createRequire(import.meta.url).resolve("chart.js");
  const text = readFileSync(join(dirname(main), "chart.umd.min.js"), "utf8");
  // The source map is not shipped in the page; a browser would only try to fetch it.
  source = text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, "\n").replaceAll("</script", "<\\/script");
  return source;
}
