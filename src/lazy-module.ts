/**
 * A dependency loaded on first use instead of at import. What only some runs need (ajv for
 * schemas, yaml for pipeline files, ollama-js, TLS, zlib, the progress bar) would otherwise cost
 * resident memory in every run. CommonJS `require`, so the getter stays synchronous.
 */
import { createRequire } from "node:module";

const requireModule = createRequire(import.meta.url);

/** A getter that requires `id` the first time it is called and returns the same module after. */
export function lazyModule<T>(id: string): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= requireModule(id) as T);
}
