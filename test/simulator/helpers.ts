import OpenAI from "openai";
import { type SimulatorHandle, type SimulatorOptions, startSimulator } from "../../src/simulator/index.js";

/** A quiet simulator and an OpenAI client with SDK retries off (the engine owns retries). */
export async function openaiFixture(options: SimulatorOptions = {}): Promise<{ sim: SimulatorHandle; client: OpenAI }> {
  const sim = await startSimulator({ quiet: true, ...options });
  const client = new OpenAI({ apiKey: options.apiKey ?? "sk-test", baseURL: sim.openaiBaseUrl, maxRetries: 0 });
  return { sim, client };
}

/** Raw POST for wire details the SDK hides. */
export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<{
  status: number;
  headers: Headers;
  json: unknown;
  text: string;
}> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test", ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined; // some routes answer plain text; the test looks at `text` then
  }
  return { status: response.status, headers: response.headers, json, text };
}

export const RATE_LIMIT_HEADERS = [
  "x-ratelimit-limit-requests",
  "x-ratelimit-limit-tokens",
  "x-ratelimit-remaining-requests",
  "x-ratelimit-remaining-tokens",
  "x-ratelimit-reset-requests",
  "x-ratelimit-reset-tokens",
] as const;

/** Accepts what a client's Go-duration parser must accept; returns ms. */
export function parseGoDuration(text: string): number {
  const units: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 0.001, µs: 0.001, ns: 0.000001 };
  const re = /(\d+(?:\.\d+)?)(ms|us|µs|ns|h|m|s)/gy;
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(re)) {
    total += Number(match[1]) * (units[match[2] ?? ""] ?? Number.NaN);
    consumed += match[0].length;
  }
  if (consumed !== text.length || consumed === 0) throw new Error(`not a Go duration: ${text}`);
  return total;
}
