/**
 * Concurrency that finds a server's parallelism instead of flooding its queue. Ollama has no
 * rate-limit headers: it runs `OLLAMA_NUM_PARALLEL` requests at once, queues the rest (their wait
 * shows in `load_duration`), and answers 503 "server busy" when the queue is full. Sending more
 * than the slots only lengthens the queue; sending fewer leaves slots idle.
 *
 * The limit moves like TCP's congestion window, with "the request waited in the server's queue"
 * as the congestion signal:
 * - slow start: from 1, +1 per completion that did not queue (doubling per round trip);
 * - the first queued completion halves the limit and ends slow start;
 * - then +1/limit per completion that did not queue (one step per round), -1 per completion
 *   that queued, at most once per round: completions of requests sent before the last decrease
 *   do not count again, so one crowded moment is not punished several times;
 * - a 503 "server busy" halves the limit.
 * At equilibrium the limit sits between the slot count and one above it: every slot stays busy and
 * at most one request waits.
 */
import { ProviderError } from "../errors.js";
import { WaiterQueue, type QueueNode } from "../gates/waiter-queue.js";
import type { EmbedRequest, EmbedResponse, LlmRequest, LlmResponse, Provider, ProviderCallOptions, QuotaScope, SentCall } from "../types.js";

/** What one finished request says about the server. */
export type Congestion = "free" | "queued" | "busy" | "none";

interface Waiter extends QueueNode {
  resolve(ticket: number): void;
}

export class AdaptiveConcurrency {
  readonly #max: number;
  #limit = 1;
  #inFlight = 0;
  #slowStart = true;
  /** Bumped by each decrease; a ticket carries the epoch it was admitted in. */
  #epoch = 0;
  readonly #queue = new WaiterQueue<Waiter>();

  /** @param max the run's concurrency, which the limit never exceeds */
  constructor(max: number) {
    if (!(Number.isInteger(max) && max >= 1)) throw new RangeError(`max must be an integer >= 1, got ${max}`);
    this.#max = max;
  }

  /** Requests allowed in flight now. */
  get limit(): number {
    return Math.floor(this.#limit);
  }

  /** Resolves with a ticket (pass it to `release`) when a request may go, in arrival order. */
  acquire(): Promise<number> {
    if (this.#queue.size === 0 && this.#inFlight < this.limit) {
      this.#inFlight++;
      return Promise.resolve(this.#epoch);
    }
    return new Promise((resolve) => this.#queue.push({ resolve }));
  }

  /** Ends a request admitted under `ticket` and adjusts the limit by what it saw. */
  release(ticket: number, seen: Congestion): void {
    this.#inFlight--;
    if (seen === "free") {
      this.#limit = Math.min(this.#max, this.#limit + (this.#slowStart ? 1 : 1 / this.#limit));
    } else if (seen === "busy" || (seen === "queued" && ticket === this.#epoch)) {
      this.#limit = seen === "busy" || this.#slowStart ? Math.max(1, this.#limit / 2) : Math.max(1, this.#limit - 1);
      this.#slowStart = false;
      this.#epoch++;
    }
    this.#admit();
  }

  #admit(): void {
    for (let w = this.#queue.head; w !== undefined && this.#inFlight < this.limit; w = this.#queue.head) {
      this.#queue.remove(w);
      this.#inFlight++;
      w.resolve(this.#epoch);
    }
  }
}

/**
 * A response queued when its wait on the server was more than a tenth of its own service time
 * (and above 5 ms, so loopback noise never counts). A provider that reports no wait gives no signal.
 */
export function congestionOf(response: Pick<LlmResponse, "serverQueueMs" | "usage">, latencyMs: number): Congestion {
  const wait = response.serverQueueMs;
  if (wait === undefined) return "none";
  return wait > Math.max(5, 0.1 * (latencyMs - wait)) ? "queued" : "free";
}

/** Wraps a provider so its calls (chat and embeddings alike: Ollama queues both) pass through an `AdaptiveConcurrency` limit. */
export class AdaptiveConcurrencyProvider implements Provider {
  readonly name;
  readonly #inner: Provider;
  readonly #limit: AdaptiveConcurrency;

  /** Present exactly when the wrapped provider has it. */
  readonly admissionTokens?: (request: LlmRequest) => number;

  /** Present exactly when the wrapped provider can embed (an optional method of `Provider`). */
  readonly embed?: (request: EmbedRequest, options: ProviderCallOptions) => Promise<EmbedResponse>;

  constructor(inner: Provider, limit: AdaptiveConcurrency) {
    this.name = inner.name;
    this.#inner = inner;
    this.#limit = limit;
    const admission = inner.admissionTokens?.bind(inner);
    if (admission) this.admissionTokens = admission;
    const embed = inner.embed?.bind(inner);
    if (embed) this.embed = (request, options) => this.#limited(() => embed(request, options));
  }

  check(request: LlmRequest): string | undefined {
    return this.#inner.check?.(request);
  }

  quotaScope(model: string): QuotaScope {
    return this.#inner.quotaScope?.(model) ?? { key: `${this.name}|${model}`, label: model };
  }

  generate(request: LlmRequest, options: ProviderCallOptions): Promise<LlmResponse> {
    return this.#limited(() => this.#inner.generate(request, options));
  }

  checkEmbed(request: EmbedRequest): string | undefined {
    return this.#inner.checkEmbed?.(request);
  }

  sentRequest(call: SentCall): unknown {
    return this.#inner.sentRequest ? this.#inner.sentRequest(call) : { kind: call.kind, request: call.request };
  }

  async #limited<R extends Pick<LlmResponse, "serverQueueMs" | "usage">>(send: () => Promise<R>): Promise<R> {
    // Waiting here is bounded by the requests in flight, which all end (timeout or cancel).
    const ticket = await this.#limit.acquire();
    const started = performance.now();
    let seen: Congestion = "none";
    try {
      const response = await send();
      seen = congestionOf(response, performance.now() - started);
      return response;
    } catch (err) {
      if (err instanceof ProviderError && err.type === "overloaded") seen = "busy";
      throw err;
    } finally {
      this.#limit.release(ticket, seen);
    }
  }

  close(): Promise<void> {
    return this.#inner.close?.() ?? Promise.resolve();
  }
}
