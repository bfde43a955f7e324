/**
 * Minimal SVG charts as strings: a line chart over time and a horizontal bar chart. Drawn at
 * build time, so the report needs no script, no library and no network to be viewed.
 */
import { groupDigits } from "../metrics/number-format.js";

export interface Series {
  name: string;
  color: string;
  /** [x, y] points, x ascending. */
  points: [number, number][];
}

const W = 640;
const H = 220;
const PAD = { left: 64, right: 16, top: 16, bottom: 32 };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

const fmt = (v: number): string => (Math.abs(v) >= 1000 ? groupDigits(v, 0) : String(Math.round(v * 1e4) / 1e4));

/** A line chart; `id` lands on the <svg> so tests and readers can find it. */
export function lineChart(id: string, title: string, xLabel: string, series: Series[]): string {
  const xs = series.flatMap((s) => s.points.map(([x]) => x));
  const ys = series.flatMap((s) => s.points.map(([, y]) => y));
  const xMax = Math.max(1e-9, ...xs);
  const yMax = niceMax(Math.max(0, ...ys));
  const px = (x: number) => PAD.left + (x / xMax) * (W - PAD.left - PAD.right);
  const py = (y: number) => H - PAD.bottom - (y / yMax) * (H - PAD.top - PAD.bottom);
  const grid = [0, 0.25, 0.5, 0.75, 1]
    .map((f) => `<line x1="${PAD.left}" x2="${W - PAD.right}" y1="${py(f * yMax)}" y2="${py(f * yMax)}" stroke="#ddd"/><text x="${PAD.left - 6}" y="${py(f * yMax) + 4}" text-anchor="end" font-size="11">${fmt(f * yMax)}</text>`)
    .join("");
  const lines = series
    .filter((s) => s.points.length > 0)
    .map((s) => {
      const d = s.points.map(([x, y], i) => `${i === 0 ? "M" : "L"}${px(x).toFixed(1)},${py(y).toFixed(1)}`).join(" ");
      return `<path class="series" data-series="${escapeHtml(s.name)}" d="${d}" fill="none" stroke="${s.color}" stroke-width="2"/>`;
    })
    .join("");
  const legend = series.map((s, i) => `<text x="${PAD.left + 8 + i * 140}" y="${PAD.top + 4}" font-size="12" fill="${s.color}">■ ${escapeHtml(s.name)}</text>`).join("");
  const axis = `<text x="${W - PAD.right}" y="${H - 8}" text-anchor="end" font-size="11">${escapeHtml(xLabel)} (0–${fmt(xMax)})</text>`;
  return figure(id, title, `${grid}${lines}${legend}${axis}`, H);
}

/** Horizontal bars, one per entry; an empty chart says so instead of drawing nothing. */
export function barChart(id: string, title: string, entries: [string, number][], unit: string): string {
  if (entries.length === 0) return figure(id, title, `<text x="${W / 2}" y="40" text-anchor="middle" font-size="13">none</text>`, 64);
  const rowH = 26;
  const height = PAD.top + entries.length * rowH + 8;
  const max = niceMax(Math.max(...entries.map(([, v]) => v)));
  const width = W - 200 - PAD.right;
  const bars = entries
    .map(([label, v], i) => {
      const y = PAD.top + i * rowH;
      const w = Math.max(v > 0 ? 1 : 0, (v / max) * width);
      return `<text x="150" y="${y + 16}" text-anchor="end" font-size="12">${escapeHtml(label)}</text><rect class="bar" data-label="${escapeHtml(label)}" x="160" y="${y + 4}" width="${w.toFixed(1)}" height="${rowH - 8}" fill="#4a7bd0"/><text x="${(166 + w).toFixed(1)}" y="${y + 16}" font-size="12">${fmt(v)} ${escapeHtml(unit)}</text>`;
    })
    .join("");
  return figure(id, title, bars, height);
}

function figure(id: string, title: string, body: string, height: number): string {
  return `<figure><figcaption>${escapeHtml(title)}</figcaption><svg id="${id}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${height}" width="${W}" height="${height}" role="img" aria-label="${escapeHtml(title)}">${body}</svg></figure>`;
}
