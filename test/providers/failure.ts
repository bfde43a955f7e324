import { expect } from "vitest";
import { ProviderError } from "../../src/errors.js";
import type { LlmRequest, Provider, ProviderCallOptions } from "../../src/types.js";

/** The `ProviderError` one call rejects with; fails the test if it resolves or throws anything else. */
export async function providerFailure(provider: Provider, req: LlmRequest, o: ProviderCallOptions): Promise<ProviderError> {
  const err = await provider.generate(req, o).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ProviderError);
  return err as ProviderError;
}
