// One program using BaseLLMService, for the test of services in two processes sharing a quota:
// `node service-client.mjs '<json config>'` makes `calls` calls at once and prints one JSON line
// (ok count, the service's summary). With `redis`, its quotas live in that Redis.
import { BaseLLMService, openRedisQuotaStore } from "../../dist/index.js";

const cfg = JSON.parse(process.argv[2]);

class Tickets extends BaseLLMService {
  summarize(id) {
    return this.generate({ prompt: `Summarize ticket ${id}: the customer cannot log in after the update.` });
  }
}

const store =
  cfg.redis === undefined ? undefined : await openRedisQuotaStore({ url: cfg.redis, onWarning: (m) => process.stderr.write(`warning: ${m}\n`), onInfo: (m) => process.stderr.write(`${m}\n`) });
const service = new Tickets({
  connections: { openai: { apiKey: "sk-test", baseUrl: cfg.baseUrl } },
  rpm: cfg.rpm,
  tpm: cfg.tpm,
  params: { max_tokens: 100 },
  ...(store ? { quotaStore: store } : {}),
});
const results = await Promise.all(Array.from({ length: cfg.calls }, (_, i) => service.summarize(`${cfg.name}-${i}`)));
const summary = await service.close();
await store?.close();
process.stdout.write(`${JSON.stringify({ ok: results.filter((r) => r.ok).length, summary })}\n`);
