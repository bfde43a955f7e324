/**
 * The `openai` kind: OpenAI's API and every OpenAI-compatible server (vLLM, llama.cpp, LM Studio,
 * Ollama's `/v1`), through the official `openai` client.
 *
 * A missing key is a usage error for api.openai.com itself, never a silent switch to the simulator
 * (the simulator is never used in place of a provider); a server of one's own often checks none,
 * so it is sent none.
 */
import { UsageError } from "../../errors.js";
import { encodingForModel } from "../../tokens/token-estimate.js";
import { classifyOpenAIError } from "./classify-openai.js";
import { isOpenAIHost, OPENAI_DEFAULT_BASE_URL, OpenAIProvider } from "./openai-provider.js";
import { parseRateLimitHeaders } from "../rate-limit-headers.js";
import type { EndpointSettings, ProviderKind } from "../registry.js";

export const MISSING_OPENAI_KEY = "OPENAI_API_KEY is not set; export it (a server of your own at --base-url that checks no key needs none)";

export const openaiKind: ProviderKind = {
  name: "openai",
  defaultBaseUrl: OPENAI_DEFAULT_BASE_URL,
  env: { apiKey: "OPENAI_API_KEY", baseUrl: "OPENAI_BASE_URL" },
  simulated: (simulatorUrl) => `${simulatorUrl}/v1`,
  create(s: EndpointSettings) {
    const apiKey = s.apiKey?.trim() || undefined;
    const baseUrl = s.baseUrl ?? OPENAI_DEFAULT_BASE_URL;
    if (apiKey === undefined) {
      if (isOpenAIHost(baseUrl)) {
        throw new UsageError(
          s.endpoint === "openai" ? MISSING_OPENAI_KEY : `endpoint "${s.endpoint}" is api.openai.com, which needs a key: name the environment variable that holds it with api_key_env`,
        );
      }
      // A named endpoint without api_key_env asked for no key on purpose; the default one may have lost it.
      if (s.endpoint === "openai") s.onWarning?.(`no OPENAI_API_KEY: sending no key to ${baseUrl}`);
    }
    return new OpenAIProvider({ apiKey, baseURL: s.baseUrl, organization: s.organization, project: s.project, maxTokensField: s.maxTokensField });
  },
  createChecking: () => new OpenAIProvider({}),
  classifyError: (err, context) => classifyOpenAIError(err, context),
  readRateLimits: parseRateLimitHeaders,
  encoding: encodingForModel,
  capabilities: { chat: true, embeddings: true, structuredOutput: true, batch: true, serverQueue: false },
};
