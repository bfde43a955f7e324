/**
 * Random fault injection and the mechanics of faults that break the transport
 * (reset, truncated body). Status faults (500/503) are ordinary error responses and are
 * sent by each route in its own protocol's shape.
 */
import type { OutgoingHttpHeaders, ServerResponse } from "node:http";
import type { Rng } from "./rng.js";
import type { FaultKind } from "./stats.js";

export interface FaultProbabilities {
  server500?: number;
  overloaded503?: number;
  reset?: number;
  hang?: number;
  truncated?: number;
}

const ORDER: readonly FaultKind[] = ["server500", "overloaded503", "reset", "hang", "truncated"];

function probability(value: number | undefined, name: string): number {
  if (value === undefined) return 0;
  if (!(value >= 0 && value <= 1)) throw new RangeError(`faults.${name} must be between 0 and 1, got ${value}`);
  return value;
}

/**
 * Draws the five faults independently, in a fixed order, from the shared seeded stream.
 * All five uniforms are consumed on every draw, so changing one probability does not
 * shift which later requests the other faults hit.
 */
export class FaultDrawer {
  readonly #probabilities: readonly number[];
  readonly #rng: Rng;
  readonly #enabled: boolean;

  constructor(faults: FaultProbabilities, rng: Rng) {
    this.#probabilities = ORDER.map((kind) => probability(faults[kind], kind));
    this.#enabled = this.#probabilities.some((p) => p > 0);
    this.#rng = rng;
  }

  draw(): FaultKind | undefined {
    if (!this.#enabled) return undefined;
    let chosen: FaultKind | undefined;
    for (let i = 0; i < ORDER.length; i++) {
      const hit = this.#rng() < (this.#probabilities[i] ?? 0);
      if (hit && chosen === undefined) chosen = ORDER[i];
    }
    return chosen;
  }
}

/** No response at all: the client sees ECONNRESET / "fetch failed". */
export function resetConnection(res: ServerResponse): void {
  res.socket?.destroy();
}

/**
 * Headers promise the whole body, then the connection dies halfway through it, the way
 * a proxy timeout or a crashed worker looks from the client.
 */
export function sendTruncated(res: ServerResponse, headers: OutgoingHttpHeaders, body: string, contentType: string): void {
  if (res.headersSent || res.destroyed) return;
  const bytes = Buffer.from(body, "utf8");
  res.writeHead(200, { ...headers, "content-type": contentType, "content-length": bytes.length });
  res.write(bytes.subarray(0, Math.max(1, Math.floor(bytes.length / 2))), () => {
    res.socket?.destroy();
  });
}
