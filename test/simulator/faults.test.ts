import { APIConnectionError, APIConnectionTimeoutError, APIError, InternalServerError } from "openai";
import { describe, expect, it } from "vitest";
import { type SimulatorFaults, startSimulator } from "../../src/simulator/index.js";
import { openaiFixture } from "./helpers.js";

const REQUEST = { model: "gpt-4o-mini", messages: [{ role: "user" as const, content: "Hello!" }] };

async function withFaults(faults: SimulatorFaults, run: (fixture: Awaited<ReturnType<typeof openaiFixture>>) => Promise<void>) {
  const fixture = await openaiFixture({ faults });
  try {
    await run(fixture);
  } finally {
    await fixture.sim.close();
  }
}

describe("random faults", () => {
  it("server500 → 500 server_error with the exact body", () =>
    withFaults({ server500: 1 }, async ({ sim, client }) => {
      const error = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InternalServerError);
      expect((error as InternalServerError).error).toEqual({
        message: "The server had an error while processing your request. Sorry about that!",
        type: "server_error",
        param: null,
        code: null,
      });
      expect(sim.stats().faults.server500).toBe(1);
    }));

  it("overloaded503 → 503 with the overloaded message naming the request id", () =>
    withFaults({ overloaded503: 1 }, async ({ client }) => {
      const error = (await client.chat.completions.create(REQUEST).catch((e: unknown) => e)) as InternalServerError;
      expect(error.status).toBe(503);
      expect(error.error).toMatchObject({ type: "server_error", code: null, param: null });
      expect(error.message).toContain(`(Please include the request ID ${error.requestID} in your message.)`);
    }));

  it("reset → the openai client throws APIConnectionError", () =>
    withFaults({ reset: 1 }, async ({ sim, client }) => {
      const error = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIConnectionError);
      expect(sim.stats()).toMatchObject({ requests: 1, ok: 0, faults: { reset: 1 } });
    }));

  it("hang → the client's timeout aborts it, and the server counts it", () =>
    withFaults({ hang: 1 }, async ({ sim, client }) => {
      const error = await client.chat.completions.create(REQUEST, { timeout: 100 }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(APIConnectionTimeoutError);
      expect(sim.stats()).toMatchObject({ requests: 1, ok: 0, byStatus: {}, faults: { hang: 1 } });
    }));

  it("truncated → 200 headers, half a body, and a client error that is not an APIError", () =>
    withFaults({ truncated: 1 }, async ({ sim, client }) => {
      const error = await client.chat.completions.create(REQUEST).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(APIError);
      expect(sim.stats()).toMatchObject({ ok: 0, byStatus: { "200": 1 }, faults: { truncated: 1 } });
    }));

  it("faults are drawn after admission, so they consume quota", async () => {
    const { sim, client } = await openaiFixture({ rpm: 30, faults: { server500: 1 } });
    try {
      await expect(client.chat.completions.create(REQUEST)).rejects.toBeInstanceOf(InternalServerError);
      await expect(client.chat.completions.create(REQUEST)).rejects.toMatchObject({ status: 429, type: "requests" });
    } finally {
      await sim.close();
    }
  });

  it("draws the same faults for the same seed and request order", async () => {
    const outcomes = async (seed: number) => {
      const { sim, client } = await openaiFixture({ seed, faults: { server500: 0.3, overloaded503: 0.3 } });
      try {
        const statuses: number[] = [];
        for (let i = 0; i < 30; i++) {
          statuses.push(
            await client.chat.completions.create(REQUEST).then(
              () => 200,
              (e: APIError) => e.status ?? 0,
            ),
          );
        }
        return statuses;
      } finally {
        await sim.close();
      }
    };
    const first = await outcomes(7);
    expect(await outcomes(7)).toEqual(first);
    expect(new Set(first)).toEqual(new Set([200, 500, 503]));
    expect(await outcomes(8)).not.toEqual(first);
  });

  it("rejects probabilities outside 0..1", async () => {
    await expect(startSimulator({ faults: { reset: 2 } })).rejects.toThrow(/faults\.reset must be between 0 and 1, got 2/);
  });
});

describe("close()", () => {
  it("ends hung requests and resolves, so test processes exit promptly", async () => {
    const { sim, client } = await openaiFixture({ faults: { hang: 1 } });
    const pending = client.chat.completions.create(REQUEST).catch((e: unknown) => e);
    while (sim.stats().faults.hang === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    await sim.close();
    expect(await pending).toBeInstanceOf(APIConnectionError);
    await expect(sim.close()).resolves.toBeUndefined();
  });
});
