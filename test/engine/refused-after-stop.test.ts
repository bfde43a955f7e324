/**
 * A line the provider's check refuses can never be sent: it stays `bad_request` when the run has
 * stopped meanwhile, rather than become `not_attempted` (which says a resume would finish it).
 */
import { describe, expect, it } from "vitest";
import { defaultPipeline } from "../../src/config/pipeline.js";
import { GenerationEngine } from "../../src/engine/engine.js";
import { preparePipeline, runRecord } from "../../src/engine/pipeline-runner.js";
import { createStepDeps } from "../../src/engine/step-deps.js";
import { Quotas } from "../../src/gates/quotas.js";
import { loadPriceTable } from "../../src/cost/prices.js";
import type { InputRecord, LlmRequest } from "../../src/types.js";
import { collect, FakeProvider, reply } from "./fake-provider.js";

/** Refuses a request whose body carries `user`, as the Ollama provider does. */
class CheckingProvider extends FakeProvider {
  onCheck: () => void = () => {};
  check(request: LlmRequest): string | undefined {
    this.onCheck();
    return request.extra?.user !== undefined ? "Ollama has no equivalent of user" : undefined;
  }
}

const line = (id: string, extra?: Record<string, unknown>): InputRecord => ({ id, line: 1, vars: {}, messages: [{ role: "user", content: `hi ${id}` }], body: "chat", ...(extra ? { extra } : {}) });

describe("a check refusal after the run stopped", () => {
  it("is not reported as unsent by the stop (runRecord)", async () => {
    const provider = new CheckingProvider(() => reply("ok"));
    const stop = new AbortController();
    const deps = createStepDeps({
      quotas: new Quotas(),
      stop: stop.signal,
      cancel: new AbortController().signal,
      onReport: () => {},
      prices: loadPriceTable(),
      provider: () => provider,
    });
    const outcome = await runRecord(preparePipeline(defaultPipeline()), line("u1", { user: "user-4821" }), deps);
    expect(outcome.result.error).toMatchObject({ type: "bad_request" });
    expect(outcome.notSent).toBe(false);
  });

  it("keeps bad_request in the engine's output when a stop arrives while the line is refused", async () => {
    const provider = new CheckingProvider(() => reply("ok"));
    const engine = new GenerationEngine({ pipeline: defaultPipeline(), provider: () => provider, prices: loadPriceTable() });
    // The stop (a fatal error elsewhere, an interrupt) lands while this record is being checked.
    provider.onCheck = () => engine.stop({ kind: "fatal", type: "auth", message: "401 elsewhere" });
    const [result] = await collect(engine.run([line("u1", { user: "user-4821" })]));
    expect(result!.error).toMatchObject({ type: "bad_request", retriable: false });
    expect(result!.error!.message).toContain("no equivalent of user");
    expect(provider.calls).toBe(0);
  });
});
