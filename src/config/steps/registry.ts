/**
 * The table of step methods. The mapped type makes the compiler insist that every member of the
 * `PipelineStep` union has exactly one validator here, and nothing else.
 */
import type { PipelineStep } from "../step-types.js";
import { convertStep } from "./convert.js";
import { embedStep } from "./embed.js";
import { extractStep } from "./extract.js";
import { generateStep } from "./generate.js";
import type { StepMethod } from "./step-method.js";
import { validateStep } from "./validate.js";

export type StepMethodName = PipelineStep["method"];

export const STEP_METHODS: { readonly [M in StepMethodName]: StepMethod<Extract<PipelineStep, { method: M }>> } = {
  generate: generateStep,
  embed: embedStep,
  extract: extractStep,
  convert: convertStep,
  validate: validateStep,
};

export const STEP_METHOD_NAMES = Object.keys(STEP_METHODS) as StepMethodName[];

export function stepMethod(name: string): StepMethod | undefined {
  return Object.hasOwn(STEP_METHODS, name) ? (STEP_METHODS[name as StepMethodName] as StepMethod) : undefined;
}
