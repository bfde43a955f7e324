/**
 * The providers' own checks of each record's request (`Provider.check`, `checkEmbed`), asked
 * before a run (`--strict`) or in `estimate`, with nothing sent: a line that a provider has no
 * equivalent for (a `user` field on Ollama) is refused there, as the run would refuse it.
 */
import type { Pipeline } from "../config/pipeline.js";
import { createCheckingProvider } from "../providers/create.js";
import type { InputRecord, Provider, ProviderName } from "../types.js";
import { preparePipeline } from "./pipeline-runner.js";
import { ownEmbedRequest } from "./steps/embed.js";
import { buildMessages, isPreparedGenerate, requestSettings, type PreparedGenerate } from "./steps/generate.js";

/**
 * Why a provider would refuse this record's request, or undefined. Only the generate steps that
 * always run and fail their record on error are asked (as `--strict` checks templates); a step
 * whose messages cannot be built here (they read an earlier step's output) is left to the run.
 * Free when no provider of those steps has a check (OpenAI's has none).
 */
export function providerRefusals(pipeline: Pipeline, providerFor: (name: ProviderName) => Provider = (name) => createCheckingProvider(name, pipeline)): (record: InputRecord) => string | undefined {
  const steps = preparePipeline(pipeline).steps.filter((s): s is PreparedGenerate => isPreparedGenerate(s) && s.step.when === undefined && (s.step.on_error ?? "fail") === "fail");
  const providers = new Map<ProviderName, Provider>();
  for (const p of steps) if (!providers.has(p.provider)) providers.set(p.provider, providerFor(p.provider));
  const checked = steps.filter((p) => providers.get(p.provider)?.check !== undefined || providers.get(p.provider)?.checkEmbed !== undefined);
  if (checked.length === 0) return () => undefined;
  return (record) => {
    const scope: Record<string, unknown> = { ...record.vars, id: record.id, steps: {} };
    for (const p of checked) {
      const provider = providers.get(p.provider)!;
      if (p.step.usesRecordMessages && record.embedding !== undefined) {
        const refused = provider.checkEmbed?.(ownEmbedRequest({ ...record, embedding: record.embedding }, p.model));
        if (refused !== undefined) return refused;
        continue;
      }
      const messages = buildMessages(p, p.templates, record, scope);
      if (!Array.isArray(messages)) continue; // the other checks say what is wrong, or the run will
      const { model, params, extra } = requestSettings(p, record);
      const refused = provider.check?.(extra ? { model, messages, params, extra } : { model, messages, params });
      if (refused !== undefined) return refused;
    }
    return undefined;
  };
}
