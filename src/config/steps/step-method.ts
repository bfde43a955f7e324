/**
 * The contract of one step method (`generate`, later `extract`, `convert`, …). The loader owns what
 * every step shares (`id`, `method`, ordering, unknown keys); a method module only declares its own
 * keys and turns them into its typed step. Adding a method is one module plus one line in
 * `registry.ts`.
 */
import type { PipelineStep } from "../step-types.js";
import type { StepOrder } from "../template-refs.js";
import type { ConfigReader, Field, YamlNode } from "../yaml-reader.js";

export interface StepContext {
  reader: ConfigReader;
  /** The step's mapping node, where "missing key" problems are reported. */
  node: YamlNode;
  /** Name used in messages and as the field-path prefix: `steps[2]`. */
  where: string;
  /** The step's id, already validated by the loader. */
  id: string;
  /** What this step's templates may reference. */
  order: StepOrder;
  /** The id written on the step listed just before this one (the default `from`). */
  previous: string | undefined;
}

export interface StepMethod<S extends PipelineStep = PipelineStep> {
  /** Keys this method accepts besides `id` and `method`. Anything else is an unknown key. */
  readonly keys: readonly string[];
  /**
   * Builds the typed step from its (already key-checked) fields, reporting every problem through
   * `ctx.reader`. Returns `undefined` when the step is unusable; the loader then fails as a whole.
   */
  parse(fields: ReadonlyMap<string, Field>, ctx: StepContext): Omit<S, "when" | "on_error"> | undefined;
}
