/**
 * The TPM gate paces embeddings by their input tokens alone. An embeddings request reserves no
 * output: reserving a chat request's default 4,096 output tokens would make every request larger
 * than this server's whole per-second budget.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { jsonl, jsonLines, runCli, tempDir, useSimulator, writeTemp } from "../helpers/cli.js";

// 6,000 TPM enforced per second: 100 tokens a second, far below one chat reservation.
const TPM = 6000;
const { sim, env } = useSimulator({ tpm: TPM, seed: 8 });

const PRODUCTS = [
  "Trail Runner 2 GTX: waterproof membrane, 8 mm drop, grippy lugged outsole, sizes 38 to 47.",
  "Merino Crew Base Layer: 200 g/m² merino, odour resistant, flatlock seams, machine washable at 30 °C.",
  "Ultralight Down Jacket: 800 fill power goose down, packs into its own chest pocket, 310 g.",
  "Hydration Vest 12L: two 500 ml soft flasks included, fits chests from 76 to 112 cm.",
  "Carbon Trekking Poles: three-section, flick-lock adjustment from 100 to 130 cm, cork grips.",
  "Insulated Bottle 750 ml: double-walled steel, cold for 24 hours and hot for 12, leak-proof lid.",
  "Headlamp 400: 400 lumens, red night mode, USB-C rechargeable, IPX4 splash resistant.",
  "Bivy Bag: waterproof breathable shell, mesh hood with a single pole, 480 g packed.",
  "Camp Stove Mini: piezo ignition, boils a litre of water in three and a half minutes, 85 g.",
  "Rain Shell 2.5L: fully taped seams, pit zips, adjustable hood, packs into a stuff sack.",
  "Sleeping Pad Lite: R-value 4.2, 7 cm thick, valve inflates in twelve breaths, 420 g.",
  "Gaiters Low: abrasion-resistant nylon, hook and loop closure, stop trail grit getting in.",
];

describe("run: TPM pacing of embeddings", () => {
  it("waits at the TPM gate by input tokens, so a tight token limit never answers 429", async () => {
    sim().resetStats();
    const dir = tempDir();
    const file = writeTemp(dir, "catalog.jsonl", jsonl(PRODUCTS.map((input, i) => ({ model: "text-embedding-3-small", input, metadata: { row_id: i + 1 } }))));
    const summary = join(dir, "summary.json");
    const r = await runCli(["run", file, "--tpm", String(TPM), "--concurrency", "8", "-q", "--summary", summary], { env: env() });
    expect(r.code, r.stderr).toBe(0);
    const out = jsonLines(r.stdout);
    expect(out).toHaveLength(PRODUCTS.length);
    for (const line of out) expect(line).toMatchObject({ ok: true, attempts: 1, usage: { output_tokens: 0 } });

    const tokens = out.reduce((n, o) => n + o.usage.input_tokens, 0);
    // More tokens than one second of the budget: the gate must have held requests back.
    expect(tokens).toBeGreaterThan(TPM / 60);
    const stats = sim().stats();
    expect(stats.rateLimited).toBe(0);
    expect(stats.byStatus["429"]).toBeUndefined();
    expect(stats.inputTokens).toBe(tokens);
    const s = JSON.parse(readFileSync(summary, "utf8"));
    expect(s.backoff.tpm_waits).toBeGreaterThan(0);
    expect(s.backoff.retries).toBe(0);
  });
});
