/**
 * Checks done once before a `--max-cost` run sends anything: every model the pipeline names must
 * have a price (an unpriced one cannot be bounded: a usage error, exit 2), and every request must
 * have an output cap, or its worst case would be a guess rather than a bound.
 */
import type { Pipeline } from "../config/pipeline.js";
import { UsageError } from "../errors.js";
import { DEFAULT_OUTPUT_TOKENS } from "../tokens/token-estimate.js";
import type { PriceTable } from "../cost/prices.js";
import { findPrice } from "../cost/prices.js";
import { stepModel } from "../providers/detect.js";
import { callsModel } from "../config/step-types.js";

export interface BudgetedPipeline {
  pipeline: Pipeline;
  /** Set when `max_tokens` was missing and is now `DEFAULT_OUTPUT_TOKENS`, for a warning. */
  cappedOutput: boolean;
}

export function budgetedPipeline(pipeline: Pipeline, prices: PriceTable, maxCostUsd: number): BudgetedPipeline {
  const unpriced = pipeline.steps.flatMap((step) => {
    if (!callsModel(step)) return [];
    const { provider, model } = stepModel(step, pipeline);
    return findPrice(prices, model, provider) === undefined ? [`"${model}" (step ${step.id})`] : [];
  });
  if (unpriced.length > 0) {
    throw new UsageError(
      `--max-cost ${maxCostUsd}: no price known for ${[...new Set(unpriced)].join(", ")}, so the cost cannot be bounded; add a price with --prices <file> or the pipeline's prices:`,
    );
  }
  const uncapped = pipeline.params.max_tokens === undefined && pipeline.steps.some((s) => s.method === "generate" && s.params.max_tokens === undefined);
  if (!uncapped) return { pipeline, cappedOutput: false };
  // The cap is what makes the reserved worst case a true upper bound of what a request can cost.
  return { pipeline: { ...pipeline, params: { ...pipeline.params, max_tokens: DEFAULT_OUTPUT_TOKENS } }, cappedOutput: true };
}
