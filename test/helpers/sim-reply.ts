import type { SimulatorHandle } from "../../src/simulator/index.js";

/**
 * What the simulator answers to exactly this conversation. Its replies are a pure function of the
 * model and the messages, so a run's `output` equal to this proves the run sent exactly `messages`:
 * the way a test asserts what the simulator received. Counts as one request in its stats.
 */
export async function simulatorReplyTo(sim: SimulatorHandle, model: string, messages: { role: string; content: string }[]): Promise<string> {
  const res = await fetch(`${sim.openaiBaseUrl}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: "Bearer sk-test" },
    body: JSON.stringify({ model, messages }),
  });
  if (!res.ok) throw new Error(`the simulator answered ${res.status}: ${await res.text()}`);
  const body = (await res.json()) as { choices: { message: { content: string } }[] };
  return body.choices[0]!.message.content;
}

/** The replies to one user prompt each, in order. */
export function repliesTo(sim: SimulatorHandle, model: string, prompts: string[]): Promise<string[]> {
  return Promise.all(prompts.map((p) => simulatorReplyTo(sim, model, [{ role: "user", content: p }])));
}

/**
 * A request body as llmbatch sends it to a server other than api.openai.com (the simulator): the
 * output cap goes as `max_tokens`, the name those servers read, except for an OpenAI reasoning
 * model (which takes only `max_completion_tokens`); with both caps, the smaller.
 */
export function asSentToCompatibleServer(body: Record<string, any>): Record<string, any> {
  if (body.max_completion_tokens == null || /^(o\d|gpt-5)/.test(body.model)) return body;
  const { max_completion_tokens: cap, ...rest } = body;
  return { ...rest, max_tokens: typeof rest.max_tokens === "number" ? Math.min(rest.max_tokens, cap) : cap };
}
